"""Your account: change your password, make and revoke API keys."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.concurrency import run_in_threadpool

from labelmill.server.deps import CurrentUser, ProjectDep
from labelmill.server.schemas import ApiKeyIn, ApiKeyOut, PasswordIn
from labelmill.users import ApiKeyInfo

__all__ = ["router"]

router = APIRouter(prefix="/api/me", tags=["you"])


def _key(info: ApiKeyInfo, key: str | None = None) -> ApiKeyOut:
    return ApiKeyOut(**info.__dict__, key=key)


@router.post("/password")
async def change_password(
    project: ProjectDep, user: CurrentUser, body: PasswordIn
) -> dict[str, str]:
    """Change your password (give the current one). Every other session and API token of
    yours ends; this browser session and your API keys stay."""
    await run_in_threadpool(
        project.change_password, user.name, body.current, body.new, keep=user.session_id
    )
    return {"name": user.name, "changed": "password"}


@router.get("/keys", response_model=list[ApiKeyOut])
def api_keys(project: ProjectDep, user: CurrentUser) -> list[ApiKeyOut]:
    """Your API keys (never their secret), newest first."""
    return [_key(k) for k in project.api_keys(user.name)]


@router.post("/keys", response_model=ApiKeyOut, status_code=status.HTTP_201_CREATED)
def create_api_key(project: ProjectDep, user: CurrentUser, body: ApiKeyIn) -> ApiKeyOut:
    """Make an API key for scripts (``Authorization: Bearer lm_...``). The key is in this
    response only: copy it now. It is separate from your password."""
    info, key = project.create_api_key(user.name, body.name)
    return _key(info, key)


@router.delete("/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(project: ProjectDep, user: CurrentUser, key_id: str) -> None:
    """Revoke one of your API keys; it stops working at once."""
    project.revoke_api_key(user.name, key_id)
