"""Admin routes: users, assignments, rules (edit and try), settings and guidelines, import,
export, the audit log and labeling rounds ("runs")."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    BackgroundTasks,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
    status,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from labelmill.server import service
from labelmill.server.deps import AdminUser, ProjectDep
from labelmill.server.schemas import (
    AssignIn,
    GuidanceIn,
    RoundIn,
    RoundOut,
    RulesIn,
    SettingsIn,
    UnassignIn,
    UserIn,
    UserOut,
    UserPatch,
)
from labelmill.users import UserInfo

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["admin"])
_MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
}
_UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt", ".jsonl", ".json", ".parquet")


def _out(info: UserInfo) -> UserOut:
    return UserOut(**info.__dict__)


@router.get("/users", response_model=list[UserOut])
def list_users(project: ProjectDep, admin: AdminUser) -> list[UserOut]:
    return [_out(u) for u in project.list_users()]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def add_user(project: ProjectDep, admin: AdminUser, body: UserIn) -> UserOut:
    """Create a user (or reset the password and role of an existing one: their sessions,
    tokens and API keys end)."""
    return _out(project.add_user(body.name, body.password, role=body.role, actor=admin.name))


@router.patch("/users/{name}", response_model=UserOut)
def change_user(project: ProjectDep, admin: AdminUser, name: str, body: UserPatch) -> UserOut:
    """Change a user's role, password or active flag (the last admin stays an active admin)."""
    info = project.get_user(name)
    if body.password is not None or body.role is not None:
        if body.password is None:
            project.set_user_role(name, body.role or info.role, actor=admin.name)
        else:
            project.add_user(name, body.password, role=body.role or info.role, actor=admin.name)
    if body.active is not None:
        project.set_user_active(name, body.active, actor=admin.name)
    return _out(project.get_user(name))


@router.delete("/users/{name}", status_code=status.HTTP_204_NO_CONTENT)
def remove_user(project: ProjectDep, admin: AdminUser, name: str) -> None:
    """Remove a user's login; their answers stay (provenance)."""
    project.remove_user(name, actor=admin.name)


# -- assignment ------------------------------------------------------------------------------
@router.get("/assignments")
def assignments(project: ProjectDep, admin: AdminUser) -> list[dict[str, Any]]:
    """Open and done assignments per person."""
    return project.assignments()


@router.post("/assignments", status_code=status.HTTP_201_CREATED)
def assign(request: Request, project: ProjectDep, admin: AdminUser, body: AssignIn) -> Any:
    """Give items to named people: a list of ids, or the items matching a browser filter
    (the first ``limit``). ``split`` gives each item to one person in turn, ``each`` to all.
    Their review and crowd queues serve them these first, and nobody else gets them."""
    flt = service.item_filter(body.filter) if body.filter is not None else None
    with request.app.state.write_lock():
        given = project.assign(
            body.people,
            item_ids=body.item_ids,
            flt=flt,
            limit=body.limit,
            mode=body.mode,
            actor=admin.name,
        )
    return {"assigned": given}


@router.post("/assignments/remove")
def unassign(request: Request, project: ProjectDep, admin: AdminUser, body: UnassignIn) -> Any:
    """Take back open assignments of people (of some items, or all of theirs)."""
    with request.app.state.write_lock():
        removed = project.unassign(body.people, item_ids=body.item_ids, actor=admin.name)
    return {"removed": removed}


# -- rules -----------------------------------------------------------------------------------
@router.get("/rules")
def rules(project: ProjectDep, admin: AdminUser) -> list[dict[str, Any]]:
    """Rule sources with their vote counts and coverage."""
    return project.rules_table()


@router.get("/rules/file")
def rules_file(project: ProjectDep, admin: AdminUser) -> dict[str, Any]:
    """The YAML rule file the browser edits (its name inside the project and its text)."""
    path, text = project.rules_file()
    return {"name": path.name, "exists": path.is_file(), "text": text}


@router.post("/rules/try")
async def try_rules(project: ProjectDep, admin: AdminUser, body: RulesIn) -> dict[str, Any]:
    """Try rules without saving them: each rule's coverage, overlaps and conflicts with the
    others, its accuracy on people's labels, and a few items it votes on."""
    result: dict[str, Any] = await run_in_threadpool(project.try_rules, body.text)
    return result


@router.put("/rules/file")
async def save_rules(project: ProjectDep, admin: AdminUser, body: RulesIn) -> dict[str, Any]:
    """Save the rule file and register its rules (applied to every item; votes of changed
    rules become a new version). The next round uses them."""
    outcome = await run_in_threadpool(lambda: project.save_rules(body.text, actor=admin.name))
    return {"rules": outcome}


# -- settings, guidelines --------------------------------------------------------------------
@router.get("/settings")
def get_settings(project: ProjectDep, admin: AdminUser) -> dict[str, Any]:
    """The project's settings."""
    return project.settings.to_dict()


@router.patch("/settings")
def change_settings(
    project: ProjectDep,
    admin: AdminUser,
    body: SettingsIn,  # type: ignore[valid-type]
) -> dict[str, Any]:
    """Change project settings (written to labelmill.yaml)."""
    project.save_settings(**body.model_dump(exclude_none=True))
    return project.settings.to_dict()


@router.get("/guidance")
def guidance(project: ProjectDep, admin: AdminUser) -> dict[str, Any]:
    """The guidelines and per-class description, colour and key shown on the card."""
    schema = project.schema
    return {
        "guidelines": schema.guidelines,
        "class_info": {c: schema.class_info[c].to_dict() for c in schema.class_info},
        "classes": list(schema.classes),
    }


@router.put("/guidance")
def save_guidance(project: ProjectDep, admin: AdminUser, body: GuidanceIn) -> dict[str, Any]:
    """Change the guidelines and class information (written to labelmill.yaml, checked)."""
    info = None
    if body.class_info is not None:
        info = {name: entry.model_dump() for name, entry in body.class_info.items()}
    project.save_guidance(guidelines=body.guidelines, class_info=info)
    return guidance(project, admin)


# -- import, export, audit log ---------------------------------------------------------------
@router.post("/imports", status_code=status.HTTP_201_CREATED)
async def import_file(
    project: ProjectDep,
    admin: AdminUser,
    file: Annotated[UploadFile, File(description="CSV, TSV, JSONL or Parquet.")],
    text_column: Annotated[str | None, Form()] = None,
    id_column: Annotated[str | None, Form()] = None,
    gold_column: Annotated[str | None, Form()] = None,
    on_error: Annotated[Literal["fail", "skip"], Form()] = "fail",
) -> dict[str, Any]:
    """Import items from an uploaded file (text and table projects; image folders are
    imported with ``labelmill import``). ``on_error=skip`` sets bad rows aside with their
    reasons instead of refusing the file."""
    if project.schema.data_type == "image":
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="Image projects import a folder on the server: labelmill import PROJECT FOLDER.",
        )
    name = Path(file.filename or "upload.csv").name
    suffix = Path(name).suffix.lower()
    if suffix not in _UPLOAD_SUFFIXES:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"Upload a file ending in {', '.join(_UPLOAD_SUFFIXES)}. Got {name!r}.",
        )
    folder = project.path / "uploads"
    folder.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=Path(name).stem[:40] + "-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            size = await run_in_threadpool(_copy, file, out)
        report = await run_in_threadpool(
            lambda: project.import_items(
                tmp,
                text_column=text_column or None,
                id_column=id_column or None,
                gold_column=gold_column or None,
                on_error=on_error,
                actor=admin.name,
            )
        )
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"file": name, "bytes": size, "summary": report.summary(), **_report(report)}


def _copy(upload: UploadFile, out: Any) -> int:
    """Copy the upload to ``out`` (its size is bounded by the server's ``max_upload_bytes``)."""
    size = 0
    while chunk := upload.file.read(1 << 20):
        size += len(chunk)
        out.write(chunk)
    return size


def _report(report: Any) -> dict[str, Any]:
    fields = getattr(report, "__dataclass_fields__", None)
    values = {k: getattr(report, k) for k in fields} if fields else dict(vars(report))
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in values.items()}


@router.get("/export")
def export(
    project: ProjectDep,
    admin: AdminUser,
    background: BackgroundTasks,
    format: Annotated[str, Query(pattern="^(jsonl|csv|parquet)$")] = "jsonl",  # noqa: A002
) -> FileResponse:
    """Download the labeled data set (jsonl, csv or parquet)."""
    fd, tmp = tempfile.mkstemp(prefix="labelmill-export-", suffix=f".{format}")
    os.close(fd)
    try:
        project.export(tmp, format=format)
    except BaseException:
        os.unlink(tmp)
        raise
    background.add_task(os.unlink, tmp)
    return FileResponse(tmp, media_type=_MEDIA_TYPES[format], filename=f"{project.name}.{format}")


@router.get("/audit-log")
def audit_log(
    project: ProjectDep,
    admin: AdminUser,
    before: Annotated[int | None, Query(ge=1)] = None,
    actor: str | None = None,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Who changed what, newest first (``before``: the id to page back from)."""
    return project.audit_log(before=before, limit=limit, actor=actor or None, action=action or None)


# -- rounds ----------------------------------------------------------------------------------
@router.get("/runs")
def runs(request: Request, project: ProjectDep, admin: AdminUser) -> dict[str, Any]:
    """The latest rounds (a running round whose process is gone reads as failed at once)
    and this server's background job."""
    runner = request.app.state.runner
    rounds = [
        RoundOut(
            **r, summary=r["results"].get("summary") or [], threshold=r["results"].get("threshold")
        )
        for r in project.rounds_checked(running_here=runner.running)
    ]
    return {"running": runner.running, "job": runner.last, "rounds": rounds, "available": True}


@router.post("/runs", status_code=status.HTTP_202_ACCEPTED)
def start_run(request: Request, admin: AdminUser, body: RoundIn) -> dict[str, Any]:
    """Start a labeling round in the background; poll GET /api/runs for its progress."""
    runner = request.app.state.runner
    return runner.start(actor=admin.name, **body.model_dump())
