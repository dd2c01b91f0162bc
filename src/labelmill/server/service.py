"""The one service the routes call: what the server asks of the project, and its own rules.

Everything that touches the engine goes through :class:`~labelmill.Project`; this module
adds what only a server needs: who may see and answer what, the shape of the responses,
and a short cache for the dashboard.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, status

from labelmill.enums import Queue
from labelmill.project import Project
from labelmill.server.auth import Principal
from labelmill.server.schemas import AnswerIn, AnswerOut, NextItemOut, Span, StatsOut

__all__ = [
    "Access",
    "TTLCache",
    "answer",
    "item_for",
    "next_item",
    "stats",
]


@dataclass(frozen=True)
class Access:
    """What a user may do with an item: the queue of their lease or of their last answer."""

    leased_queue: str | None
    answered_queue: str | None

    @property
    def queue(self) -> str | None:
        return self.leased_queue or self.answered_queue


class TTLCache:
    """One value, recomputed at most every ``seconds`` (thread-safe; 0 disables it).

    Parameters
    ----------
    seconds : float
        How long a computed value is reused.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._value: Any = None
        self._at = -math.inf
        self._lock = threading.Lock()

    def get(self, compute: Callable[[], Any]) -> Any:
        if self.seconds <= 0:
            return compute()
        with self._lock:  # one computation at a time; the others reuse its result
            if time.monotonic() - self._at > self.seconds:
                self._value = compute()
                self._at = time.monotonic()
            return self._value


def access(project: Project, item_id: str, user: str) -> Access:
    leased, answered = project.item_access(item_id, user)
    return Access(leased_queue=leased, answered_queue=answered)


def check_queue_role(user: Principal, queue: str) -> None:
    """Only reviewers and admins may open the audit queue."""
    if queue == Queue.AUDIT and not user.is_reviewer:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"The audit queue needs the role reviewer or admin; {user.name} is {user.role}.",
        )


def next_item(
    project: Project,
    user: Principal,
    queue: str,
    *,
    lease_seconds: float,
    overlap: int | None,
    write_lock: Callable[[], Any],
) -> NextItemOut | None:
    """Lease the next item of ``queue`` to ``user`` and shape what they may see."""
    check_queue_role(user, queue)
    with write_lock():
        served = project.next_items(
            1, queue=queue, user=user.name, lease_seconds=lease_seconds, overlap=overlap
        )
    if not served:
        return None
    got = served[0]
    schema = project.schema
    payload = got.payload
    spans: list[Span] = []
    review = got.mode == Queue.REVIEW
    if schema.data_type == "image":
        payload = {"image": f"/media/{got.item_id}"}
    elif review and schema.data_type == "text" and got.votes:
        found = project.rule_spans(payload, [v["source"] for v in got.votes])
        spans = [Span(**span) for span in found]
    return NextItemOut(
        item_id=got.item_id,
        mode=got.mode,
        data_type=schema.data_type,
        task=schema.task,
        classes=list(schema.classes),
        payload=payload,
        suggestion=got.suggestion if review else None,
        confidence=got.confidence if review else None,
        votes=got.votes if review else [],
        spans=spans,
        lease_expires_at=got.lease_expires_at,
    )


def item_for(project: Project, user: Principal, item_id: str) -> dict[str, Any]:
    """An item as ``user`` may see it: reviewers and admins see its label, status and votes
    unless it is leased to them blind; annotators see only items served to them, blind."""
    got = access(project, item_id, user.name)
    if not user.is_reviewer and got.queue is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"Item {item_id!r} is not assigned to {user.name}."
        )
    blind = not user.is_reviewer or got.queue in (Queue.AUDIT, Queue.CROWD)
    detail = project.item(item_id, blind=blind)
    detail["mode"] = got.queue
    return detail


def answer(
    project: Project,
    user: Principal,
    item_id: str,
    body: AnswerIn,
    *,
    overlap: int | None,
    write_lock: Callable[[], Any],
) -> AnswerOut:
    """Record ``user``'s answer in the queue the item was served from (its lease)."""
    got = access(project, item_id, user.name)
    if not user.is_reviewer and got.queue is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"Item {item_id!r} is not assigned to {user.name} (or the lease expired); "
            "get one from GET /api/items/next.",
        )
    label: Any = body.label
    if project.schema.multilabel and isinstance(label, str):
        label = [label]
    with write_lock():
        queue = project.add_answer(
            item_id,
            label,
            user=user.name,
            queue=body.queue or Queue.REVIEW,
            skip=body.skip,
            overlap=overlap,
        )
    shown = None if body.skip else project.schema.decode(project.schema.encode(label))
    return AnswerOut(item_id=item_id, queue=queue, label=shown, skipped=body.skip)


def stats(project: Project) -> StatsOut:
    """The dashboard's numbers."""
    return StatsOut.model_validate(project.dashboard())
