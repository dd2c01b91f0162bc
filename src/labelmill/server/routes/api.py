"""The labeling API: tokens, next item, answers, undo, item details, stats."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from labelmill.exceptions import AuthError
from labelmill.server import service
from labelmill.server.auth import CurrentUser, Principal, client_address
from labelmill.server.schemas import AnswerIn, AnswerOut, NextItemOut, TokenOut
from labelmill.users import verify_user

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["labeling"])


def login(request: Request, name: str, password: str) -> str:
    """Check a password under the rate limit; returns the user name or raises 401/429."""
    state = request.app.state
    address = client_address(request)
    state.limiter.check(name, address)
    try:
        user = verify_user(state.project.store, name, password)
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


def _check_queue_role(user: Principal, queue: str) -> None:
    if queue == "audit" and not user.is_reviewer:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"The audit queue needs the role reviewer or admin; {user.name} is {user.role}.",
        )


@router.get(
    "/items/next",
    response_model=NextItemOut,
    responses={204: {"description": "The queue is empty for you right now."}},
)
def next_item(
    request: Request,
    user: CurrentUser,
    queue: Annotated[str, Query(pattern="^(review|audit|crowd)$")] = "review",
) -> Any:
    """Lease the next item of ``queue`` to you and show it (204 when there is none).

    In ``review`` mode the payload comes with the machine's suggestion, its confidence
    and the votes behind it; ``audit`` and ``crowd`` items come blind.
    """
    _check_queue_role(user, queue)
    state = request.app.state
    project = state.project
    with state.write_lock():
        served = project.next_items(
            1,
            queue=queue,
            user=user.name,
            lease_seconds=state.settings.lease_seconds,
            overlap=state.settings.overlap,
        )
    if not served:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    got = served[0]
    schema = project.schema
    payload = got.payload
    spans: list[dict[str, Any]] = []
    if schema.data_type == "image":
        payload = {"image": f"/media/{got.item_id}"}
    elif got.mode == "review" and schema.data_type == "text" and got.votes:
        spans = service.rule_spans(project, payload, [v["source"] for v in got.votes])
    return NextItemOut(
        item_id=got.item_id,
        mode=got.mode,
        data_type=schema.data_type,
        task=schema.task,
        classes=list(schema.classes),
        payload=payload,
        suggestion=got.suggestion if got.mode == "review" else None,
        confidence=got.confidence if got.mode == "review" else None,
        votes=got.votes if got.mode == "review" else [],
        spans=spans,
        lease_expires_at=got.lease_expires_at,
    )


@router.get("/items/{item_id}")
def get_item(request: Request, user: CurrentUser, item_id: str) -> dict[str, Any]:
    """An item. Reviewers and admins see its label, status and votes, unless it is leased
    to them for a blind audit; annotators see only items assigned to them, blind."""
    project = request.app.state.project
    access = service.item_access(project, item_id, user.name)
    if not user.is_reviewer and access.leased_queue is None and access.answered_queue is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"Item {item_id!r} is not assigned to {user.name}."
        )
    mode = access.leased_queue or access.answered_queue
    blind = not user.is_reviewer or mode in ("audit", "crowd")
    detail = service.item_detail(project, item_id, blind=blind)
    detail["mode"] = mode
    return detail


@router.post(
    "/items/{item_id}/answers", status_code=status.HTTP_201_CREATED, response_model=AnswerOut
)
def answer(request: Request, user: CurrentUser, item_id: str, body: AnswerIn) -> AnswerOut:
    """Record your answer (a class, a list of classes, or a skip); 201 once committed.

    The answer counts in the queue the item was served from (its lease). Annotators may
    answer only items leased to them (or re-answer after an undo).
    """
    state = request.app.state
    project = state.project
    access = service.item_access(project, item_id, user.name)
    if not user.is_reviewer and access.leased_queue is None and access.answered_queue is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"Item {item_id!r} is not assigned to {user.name} (or the lease expired); "
            "get one from GET /api/items/next.",
        )
    queue = service.answer_queue(access, body.queue)
    label: Any = body.label
    if project.schema.multilabel and isinstance(label, str):
        label = [label]
    with state.write_lock():
        project.add_answer(item_id, label, user=user.name, queue=queue, skip=body.skip)
    shown = None if body.skip else project.schema.decode(project.schema.encode(label))
    return AnswerOut(item_id=item_id, queue=queue, label=shown, skipped=body.skip)


@router.post("/items/{item_id}/undo")
def undo(request: Request, user: CurrentUser, item_id: str) -> dict[str, Any]:
    """Withdraw your latest answer on the item (404 when you have none)."""
    state = request.app.state
    with state.write_lock():
        state.project.undo_answer(item_id, user=user.name)
    return {"item_id": item_id, "undone": True}


@router.delete("/items/{item_id}/answers")
def delete_answer(request: Request, user: CurrentUser, item_id: str) -> dict[str, Any]:
    """Same as ``POST /api/items/{item_id}/undo``."""
    return undo(request, user, item_id)


@router.get("/stats")
def stats(request: Request, user: CurrentUser) -> dict[str, Any]:
    """Progress by status, answers per user, accuracy estimates, agreement, learning curve."""
    state = request.app.state
    return state.stats_cache.get(lambda: service.stats(state.project))
