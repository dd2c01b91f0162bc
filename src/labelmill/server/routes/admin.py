"""Admin routes: users, rules, settings, export and labeling rounds ("runs")."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, status
from fastapi.responses import FileResponse

from labelmill.server.deps import AdminUser, ProjectDep
from labelmill.server.schemas import RoundIn, RoundOut, SettingsIn, UserIn, UserOut, UserPatch
from labelmill.users import UserInfo

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["admin"])
_MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
}


def _out(info: UserInfo) -> UserOut:
    return UserOut(**info.__dict__)


@router.get("/users", response_model=list[UserOut])
def list_users(project: ProjectDep, admin: AdminUser) -> list[UserOut]:
    return [_out(u) for u in project.list_users()]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def add_user(project: ProjectDep, admin: AdminUser, body: UserIn) -> UserOut:
    """Create a user (or reset the password and role of an existing one)."""
    return _out(project.add_user(body.name, body.password, role=body.role, actor=admin.name))


@router.patch("/users/{name}", response_model=UserOut)
def change_user(project: ProjectDep, admin: AdminUser, name: str, body: UserPatch) -> UserOut:
    """Change a user's role, password or active flag."""
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


@router.get("/rules")
def rules(project: ProjectDep, admin: AdminUser) -> list[dict[str, Any]]:
    """Rule sources with their vote counts and coverage."""
    return project.rules_table()


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


@router.get("/runs")
def runs(request: Request, admin: AdminUser) -> dict[str, Any]:
    """The latest rounds (from the rounds table) and this server's background job."""
    runner = request.app.state.runner
    project = request.app.state.project
    rounds = [
        RoundOut(
            **r, summary=r["results"].get("summary") or [], threshold=r["results"].get("threshold")
        )
        for r in project.rounds()
    ]
    return {"running": runner.running, "job": runner.last, "rounds": rounds}


@router.post("/runs", status_code=status.HTTP_202_ACCEPTED)
def start_run(request: Request, admin: AdminUser, body: RoundIn) -> dict[str, Any]:
    """Start a labeling round in the background; poll GET /api/runs for its progress."""
    runner = request.app.state.runner
    return runner.start(actor=admin.name, **body.model_dump())
