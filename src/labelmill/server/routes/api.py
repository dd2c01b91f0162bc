"""The labeling API: tokens, next item, answers, skips, undo, comments, item details, your
progress and recent answers, stats."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from labelmill.enums import Queue
from labelmill.exceptions import AuthError
from labelmill.server import service
from labelmill.server.auth import client_address, issue_token
from labelmill.server.deps import CurrentUser, ProjectDep, SettingsDep
from labelmill.server.schemas import (
    AnswerIn,
    AnswerOut,
    CommentIn,
    CommentOut,
    ItemOut,
    NextItemOut,
    StatsOut,
    TokenOut,
    UndoOut,
)
from labelmill.users import ACCESS

__all__ = ["login", "router"]

router = APIRouter(prefix="/api", tags=["labeling"])
QueueName = Annotated[str, Query(pattern="^(review|audit|crowd)$")]


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
    return str(user.name)


@router.post("/auth/token", response_model=TokenOut, tags=["auth"])
async def token(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> TokenOut:
    """OAuth2 password flow: exchange a user name and password for a bearer token (it ends
    when you change your password; scripts are better served by an API key)."""
    name = await run_in_threadpool(login, request, username, password)
    issued = await run_in_threadpool(issue_token, request, name, ACCESS)
    return TokenOut(access_token=issued, expires_in=request.app.state.signer.lifetime)


@router.get("/me", tags=["auth"])
def me(user: CurrentUser) -> dict[str, str]:
    """Who the token, API key or session belongs to."""
    return {"name": user.name, "role": user.role, "via": user.via}


@router.get("/me/progress", tags=["you"])
def my_progress(
    request: Request,
    project: ProjectDep,
    settings: SettingsDep,
    user: CurrentUser,
    today: Annotated[
        datetime | None, Query(description="Start of your day (ISO 8601 with offset).")
    ] = None,
) -> dict[str, Any]:
    """Items left in each queue, your open assignments, and your answers this session
    (since your login), today and in all."""
    return service.progress(
        project,
        user,
        overlap=settings.overlap,
        today=today,
        cache=request.app.state.progress_cache,
    )


@router.get("/me/answers", tags=["you"])
def my_answers(
    project: ProjectDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[dict[str, Any]]:
    """Your latest answer per item, newest first; open one with GET /api/items/{id}/card
    and answer again to change it."""
    return project.my_answers(user.name, limit=limit)


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
    queue: QueueName = "review",
) -> Any:
    """Lease the next item of ``queue`` to you and show it (204 when there is none).

    In ``review`` mode the payload comes with the machine's suggestion, its confidence,
    the votes behind it and the model's own vote; ``audit`` and ``crowd`` items come blind.
    Items assigned to you come first.
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


@router.get("/items/{item_id}/card", response_model=NextItemOut)
def item_card(
    project: ProjectDep, settings: SettingsDep, user: CurrentUser, item_id: str
) -> NextItemOut:
    """An item you hold or answered, as you may see it in that queue, with your current
    answer: answer again to change it (it stays in its queue)."""
    return service.card(project, user, item_id, lease_seconds=settings.lease_seconds)


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
    """Record your answer (a class, a list of classes, or a skip with a reason); 201 once
    committed.

    The answer counts in the queue the item was served from (its lease). Annotators may
    answer only items leased to them, or change their own answers. A skipped item is not
    served to you again.
    """
    return service.answer(
        project,
        user,
        item_id,
        body,
        overlap=settings.overlap,
        write_lock=request.app.state.write_lock,
    )


@router.post("/items/{item_id}/undo", response_model=UndoOut)
def undo(
    request: Request, project: ProjectDep, settings: SettingsDep, user: CurrentUser, item_id: str
) -> UndoOut:
    """Withdraw your latest answer on the item (404 when you have none); the item is yours
    again, shown as it was served (review: with its suggestion)."""
    return service.undo(
        project,
        user,
        item_id,
        lease_seconds=settings.lease_seconds,
        write_lock=request.app.state.write_lock,
    )


@router.delete("/items/{item_id}/answers", response_model=UndoOut)
def delete_answer(
    request: Request, project: ProjectDep, settings: SettingsDep, user: CurrentUser, item_id: str
) -> UndoOut:
    """Same as ``POST /api/items/{item_id}/undo``."""
    return undo(request, project, settings, user, item_id)


@router.get("/items/{item_id}/comments", response_model=list[CommentOut])
def comments(project: ProjectDep, user: CurrentUser, item_id: str) -> list[CommentOut]:
    """The item's comments: every comment for reviewers and admins; your own otherwise
    (others' opinions could sway a blind answer)."""
    got = service.access(project, item_id, user.name)
    if not user.is_reviewer and got.queue is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"Item {item_id!r} is not assigned to {user.name}."
        )
    found = project.comments([item_id]).get(item_id, [])
    everyone = user.is_reviewer and got.leased_queue not in (Queue.AUDIT, Queue.CROWD)
    return [CommentOut(item_id=item_id, **c) for c in found if everyone or c["user"] == user.name]


@router.post(
    "/items/{item_id}/comments", status_code=status.HTTP_201_CREATED, response_model=CommentOut
)
def add_comment(
    request: Request, project: ProjectDep, user: CurrentUser, item_id: str, body: CommentIn
) -> CommentOut:
    """Comment on an item you hold or answered (reviewers and admins: any item)."""
    got = service.access(project, item_id, user.name)
    if not user.is_reviewer and got.queue is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"Item {item_id!r} is not assigned to {user.name}."
        )
    with request.app.state.write_lock():
        made = project.add_comment(item_id, body.text, user=user.name)
    return CommentOut(**made)


@router.get("/stats", response_model=StatsOut)
def stats(request: Request, project: ProjectDep, user: CurrentUser) -> StatsOut:
    """Progress by status, answers per user, accuracy estimates, agreement (with a heatmap,
    worst pairs first), each person's quality against blind gold, the learning curve."""
    cache: service.TTLCache = request.app.state.stats_cache
    running = request.app.state.runner.running
    result: StatsOut = cache.get(lambda: service.stats(project, running_here=running))
    return result
