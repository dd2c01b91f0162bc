"""Admin routes: users, rules, settings, export and labeling rounds ("runs")."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, status
from fastapi.responses import FileResponse

from labelmill import users as user_store
from labelmill.server import service
from labelmill.server.auth import AdminUser
from labelmill.server.schemas import RoundIn, SettingsIn, UserIn, UserOut, UserPatch

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["admin"])
_MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
}


def _out(info: user_store.UserInfo) -> UserOut:
    return UserOut(**info.__dict__)


@router.get("/users", response_model=list[UserOut])
def list_users(request: Request, admin: AdminUser) -> list[UserOut]:
    return [_out(u) for u in user_store.list_users(request.app.state.project.store)]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def add_user(request: Request, admin: AdminUser, body: UserIn) -> UserOut:
    """Create a user (or reset the password and role of an existing one)."""
    store = request.app.state.project.store
    return _out(
        user_store.add_user(store, body.name, body.password, role=body.role, actor=admin.name)
    )


@router.patch("/users/{name}", response_model=UserOut)
def change_user(request: Request, admin: AdminUser, name: str, body: UserPatch) -> UserOut:
    """Change a user's role, password or active flag."""
    store = request.app.state.project.store
    info = user_store.get_user(store, name)
    if body.password is not None or body.role is not None:
        if body.password is None:
            user_store.set_role(store, name, body.role or info.role, actor=admin.name)
        else:
            user_store.add_user(
                store, name, body.password, role=body.role or info.role, actor=admin.name
            )
    if body.active is not None:
        user_store.set_active(store, name, body.active, actor=admin.name)
    return _out(user_store.get_user(store, name))


@router.delete("/users/{name}", status_code=status.HTTP_204_NO_CONTENT)
def remove_user(request: Request, admin: AdminUser, name: str) -> None:
    """Remove a user's login; their answers stay (provenance)."""
    user_store.remove_user(request.app.state.project.store, name, actor=admin.name)


@router.get("/rules")
def rules(request: Request, admin: AdminUser) -> list[dict[str, Any]]:
    """Rule sources with their vote counts and coverage."""
    return service.rules_table(request.app.state.project)


@router.get("/settings")
def get_settings(request: Request, admin: AdminUser) -> dict[str, Any]:
    return dict(request.app.state.project.settings)


@router.patch("/settings")
def change_settings(request: Request, admin: AdminUser, body: SettingsIn) -> dict[str, Any]:
    """Change project settings (written to labelmill.yaml)."""
    project = request.app.state.project
    changes = body.model_dump(exclude_none=True)
    if changes:
        project.save_settings(**changes)
    return dict(project.settings)


@router.get("/export")
def export(
    request: Request,
    admin: AdminUser,
    background: BackgroundTasks,
    format: Annotated[str, Query(pattern="^(jsonl|csv|parquet)$")] = "jsonl",  # noqa: A002
) -> FileResponse:
    """Download the labeled data set (jsonl, csv or parquet)."""
    project = request.app.state.project
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
    return {
        "available": runner.available,
        "running": runner.running,
        "job": runner.last,
        "rounds": service.list_rounds(request.app.state.project),
    }


@router.post("/runs", status_code=status.HTTP_202_ACCEPTED)
def start_run(request: Request, admin: AdminUser, body: RoundIn) -> dict[str, Any]:
    """Start a labeling round in the background; poll GET /api/runs for its progress."""
    runner = request.app.state.runner
    return runner.start(actor=admin.name, **body.model_dump())
