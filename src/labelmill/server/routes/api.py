"""The labeling API: tokens, next item, answers, undo, item details, stats."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from labelmill.exceptions import AuthError
from labelmill.server import service
from labelmill.server.auth import client_address
from labelmill.server.deps import CurrentUser, ProjectDep, SettingsDep
from labelmill.server.schemas import AnswerIn, AnswerOut, ItemOut, NextItemOut, StatsOut, TokenOut

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["labeling"])


def login(request: Request, name: str, password: str) -> str:
    """Check a password under the rate limit; returns the user name or raises 401/429."""
    state = request.app.state
    address = client_address(request)
    state.limiter.check(name, address)
    try:
        user = state.project.verify_user(name, password)
    except AuthError:
        state.limiter.failed(name, address)
        raise
    state.limiter.succeeded(name, address)
    return user.name


@router.post("/auth/token", response_model=TokenOut, tags=["auth"])
async def token(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> TokenOut:
    """OAuth2 password flow: exchange a user name and password for a bearer token."""
    name = await run_in_threadpool(login, request, username, password)
    signer = request.app.state.signer
    return TokenOut(access_token=signer.sign(name, kind="access"), expires_in=signer.lifetime)


@router.get("/me", tags=["auth"])
def me(user: CurrentUser) -> dict[str, str]:
    """Who the token or session belongs to."""
    return {"name": user.name, "role": user.role}


@router.get(
    "/items/next",
    response_model=NextItemOut,
    responses={204: {"description": "The queue is empty for you right now."}},
)
def next_item(
    request: Request,
    project: ProjectDep,
    settings: SettingsDep,
    user: CurrentUser,
    queue: Annotated[str, Query(pattern="^(review|audit|crowd)$")] = "review",
) -> Any:
    """Lease the next item of ``queue`` to you and show it (204 when there is none).

    In ``review`` mode the payload comes with the machine's suggestion, its confidence
    and the votes behind it; ``audit`` and ``crowd`` items come blind.
    """
    served = service.next_item(
        project,
        user,
        queue,
        lease_seconds=settings.lease_seconds,
        overlap=settings.overlap,
        write_lock=request.app.state.write_lock,
    )
    return served if served is not None else Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/items/{item_id}", response_model=ItemOut, response_model_exclude_none=True)
def get_item(project: ProjectDep, user: CurrentUser, item_id: str) -> dict[str, Any]:
    """An item. Reviewers and admins see its label, status and votes, unless it is leased
    to them for a blind audit; annotators see only items assigned to them, blind."""
    return service.item_for(project, user, item_id)


@router.post(
    "/items/{item_id}/answers", status_code=status.HTTP_201_CREATED, response_model=AnswerOut
)
def answer(
    request: Request,
    project: ProjectDep,
    settings: SettingsDep,
    user: CurrentUser,
    item_id: str,
    body: AnswerIn,
) -> AnswerOut:
    """Record your answer (a class, a list of classes, or a skip); 201 once committed.

    The answer counts in the queue the item was served from (its lease). Annotators may
    answer only items leased to them (or re-answer after an undo).
    """
    return service.answer(
        project,
        user,
        item_id,
        body,
        overlap=settings.overlap,
        write_lock=request.app.state.write_lock,
    )


@router.post("/items/{item_id}/undo")
def undo(request: Request, project: ProjectDep, user: CurrentUser, item_id: str) -> dict[str, Any]:
    """Withdraw your latest answer on the item (404 when you have none)."""
    with request.app.state.write_lock():
        project.undo_answer(item_id, user=user.name)
    return {"item_id": item_id, "undone": True}


@router.delete("/items/{item_id}/answers")
def delete_answer(
    request: Request, project: ProjectDep, user: CurrentUser, item_id: str
) -> dict[str, Any]:
    """Same as ``POST /api/items/{item_id}/undo``."""
    return undo(request, project, user, item_id)


@router.get("/stats", response_model=StatsOut)
def stats(request: Request, project: ProjectDep, user: CurrentUser) -> StatsOut:
    """Progress by status, answers per user, accuracy estimates, agreement, learning curve."""
    cache: service.TTLCache = request.app.state.stats_cache
    result: StatsOut = cache.get(lambda: service.stats(project))
    return result
