"""The dependencies routes declare: the project, the settings, the authenticated user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from labelmill.enums import Role
from labelmill.project import Project
from labelmill.server.auth import Principal, current_user, require_roles
from labelmill.server.settings import ServerSettings

__all__ = [
    "AdminUser",
    "CurrentUser",
    "ProjectDep",
    "ReviewerUser",
    "SettingsDep",
    "get_project",
    "get_settings",
]


def get_project(request: Request) -> Project:
    """The project this app serves (opened once at start-up)."""
    project: Project = request.app.state.project
    return project


def get_settings(request: Request) -> ServerSettings:
    settings: ServerSettings = request.app.state.settings
    return settings


ProjectDep = Annotated[Project, Depends(get_project)]
SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
ReviewerUser = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.REVIEWER))]
