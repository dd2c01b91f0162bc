"""The one service the routes call: what the server asks of the project, and its own rules.

Everything that touches the engine goes through :class:`~labelmill.Project`; this module
adds what only a server needs: who may see and answer what, the shape of the responses,
and short caches for numbers every open page polls.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import HTTPException, status

from labelmill.enums import Queue
from labelmill.project import Project
from labelmill.review import ItemFilter, QueueItem
from labelmill.server.auth import Principal
from labelmill.server.schemas import (
    AnswerIn,
    AnswerOut,
    ModelVoteOut,
    NextItemOut,
    Span,
    StatsOut,
    UndoOut,
)

__all__ = [
    "Access",
    "TTLCache",
    "answer",
    "browse_item",
    "card",
    "item_for",
    "next_item",
    "stats",
    "undo",
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
    """Values recomputed at most every ``seconds`` (thread-safe; 0 disables it), one per key.

    Parameters
    ----------
    seconds : float
        How long a computed value is reused.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._values: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, compute: Callable[[], Any], key: Any = None) -> Any:
        if self.seconds <= 0:
            return compute()
        with self._lock:  # one computation at a time; the others reuse its result
            at, value = self._values.get(key, (-math.inf, None))
            if time.monotonic() - at > self.seconds:
                value = compute()
                self._values[key] = (time.monotonic(), value)
            return value


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


def shown(project: Project, got: QueueItem) -> NextItemOut:
    """What a person may see of an item served in ``got.mode``: suggestion, confidence,
    votes, the model's vote and rule highlights only in ``review``."""
    schema = project.schema
    payload = got.payload
    spans: list[Span] = []
    review = got.mode == Queue.REVIEW
    if schema.data_type == "image":
        payload = {"image": f"/media/{got.item_id}"}
    elif review and schema.data_type == "text" and got.votes:
        found = project.rule_spans(payload, [v["source"] for v in got.votes])
        spans = [Span(**span) for span in found]
    confidence = got.confidence if review else None
    if confidence is not None and got.suggestion is not None:
        # A label waiting for review is not certain: never show it as 1.00.
        confidence = min(confidence, 0.99)
    return NextItemOut(
        item_id=got.item_id,
        mode=got.mode,
        data_type=schema.data_type,
        task=schema.task,
        classes=list(schema.classes),
        payload=payload,
        suggestion=got.suggestion if review else None,
        confidence=confidence,
        votes=got.votes if review else [],
        model=ModelVoteOut.model_validate(got.model) if review and got.model else None,
        spans=spans,
        lease_expires_at=got.lease_expires_at,
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
    return shown(project, served[0]) if served else None


def _forbidden_unless_theirs(user: Principal, item_id: str, got: Access) -> None:
    if not user.is_reviewer and got.queue is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"Item {item_id!r} is not assigned to {user.name}."
        )


def item_for(project: Project, user: Principal, item_id: str) -> dict[str, Any]:
    """An item as ``user`` may see it: reviewers and admins see its label, status and votes
    unless it is leased to them blind; annotators see only items served to them, blind."""
    got = access(project, item_id, user.name)
    _forbidden_unless_theirs(user, item_id, got)
    blind = not user.is_reviewer or got.queue in (Queue.AUDIT, Queue.CROWD)
    detail = _without_hidden(project, project.item(item_id, blind=blind))
    detail["mode"] = got.queue
    return detail


def _without_hidden(project: Project, detail: dict[str, Any]) -> dict[str, Any]:
    """``detail`` without the project's hidden metadata columns (a simulation's true labels,
    image class folders kept with ``--folder-labels meta``): nobody who labels sees them."""
    meta = detail.get("meta")
    hidden = set(project.settings.hidden_columns)
    if isinstance(meta, dict) and hidden & set(meta):
        detail = {**detail, "meta": {k: v for k, v in meta.items() if k not in hidden}}
    return detail


def card(project: Project, user: Principal, item_id: str, *, lease_seconds: float) -> NextItemOut:
    """An item the person holds or answered, as they may see it in that queue, with their
    current answer (to change it)."""
    got = access(project, item_id, user.name)
    if got.queue is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"{user.name} neither holds nor answered item {item_id!r}; reviewers open "
            "any item in the item browser.",
        )
    out = shown(
        project, project.card(item_id, user=user.name, mode=got.queue, lease_seconds=lease_seconds)
    )
    mine = [a for a in project.my_answers(user.name, limit=200) if a["item_id"] == item_id]
    if mine and not mine[0]["withdrawn"]:
        out.your_answer = mine[0]["label"]
    return out


def answer(
    project: Project,
    user: Principal,
    item_id: str,
    body: AnswerIn,
    *,
    overlap: int | None,
    write_lock: Callable[[], Any],
) -> AnswerOut:
    """Record ``user``'s answer in the queue the item was served from (its lease), or of
    their own earlier answer when they change it."""
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
    reason = (body.skip_reason or "").strip() or None
    with write_lock():
        queue = project.add_answer(
            item_id,
            label,
            user=user.name,
            queue=body.queue or Queue.REVIEW,
            skip=body.skip,
            skip_reason=reason,
            overlap=overlap,
        )
    shown_label = None if body.skip else project.schema.decode(project.schema.encode(label))
    return AnswerOut(item_id=item_id, queue=queue, label=shown_label, skipped=body.skip)


def undo(
    project: Project,
    user: Principal,
    item_id: str,
    *,
    lease_seconds: float,
    write_lock: Callable[[], Any],
) -> UndoOut:
    """Withdraw ``user``'s latest answer on the item and give the card back, in the queue
    of the withdrawn answer (review: with the suggestion, votes and highlights again)."""
    with write_lock():
        queue = project.withdraw_answer(item_id, user=user.name, lease_seconds=lease_seconds)
    again = project.card(item_id, user=user.name, mode=queue, lease_seconds=lease_seconds)
    return UndoOut(item_id=item_id, queue=queue, card=shown(project, again))


def browse_item(project: Project, user: Principal, item_id: str) -> dict[str, Any]:
    """Everything about an item for the browser. A reviewer holding it for a blind audit
    sees it blind (and nothing of others' answers); otherwise seeing it is recorded, so
    it is never served to them blind afterwards."""
    got = access(project, item_id, user.name)
    if got.leased_queue == Queue.AUDIT:
        detail = project.item(item_id, blind=True)
        return {**detail, "mode": Queue.AUDIT.value, "blind": True}
    detail = _without_hidden(project, project.item(item_id, blind=False))
    project.reveal(item_id, user=user.name)
    record = project.item_record(item_id)
    votes = detail.get("votes") or []
    machine = [v for v in votes if str(v["source"]).split(":", 1)[0] in ("rule", "model")]
    spans: list[dict[str, Any]] = []
    if project.schema.data_type == "text":
        voting = [v["source"] for v in machine if v["label"] is not None]
        spans = project.rule_spans(detail["payload"], voting)
    return {
        **detail,
        **record,
        "votes": machine,
        "spans": spans,
        "comments": record["comments"],
        "classes": list(project.schema.classes),
        "mode": got.queue,
        "blind": False,
    }


def item_filter(params: dict[str, Any]) -> ItemFilter:
    """An :class:`ItemFilter` from query or JSON parameters (unknown keys refused)."""
    fields = set(ItemFilter.__dataclass_fields__)
    unknown = set(params) - fields
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"Unknown filter fields {sorted(unknown)}; expected some of {sorted(fields)}.",
        )
    values = dict(params)
    if isinstance(values.get("statuses"), str):
        values["statuses"] = [s for s in values["statuses"].split(",") if s]
    values["statuses"] = tuple(values.get("statuses") or ())
    return ItemFilter(**values)


def stats(project: Project, *, running_here: bool | None = None) -> StatsOut:
    """The dashboard's numbers (a running round whose process is gone reads as failed)."""
    numbers = project.dashboard()
    numbers["people"] = project.people_quality()
    numbers["heatmap"] = project.agreement_heatmap(numbers["agreement"])
    last = numbers.get("last_round")
    if last is not None and last.get("status") == "running":
        rounds = project.rounds_checked(1, running_here=running_here)
        if rounds and rounds[0]["id"] == last["id"]:
            last.update(status=rounds[0]["status"], error=rounds[0]["error"])
    return StatsOut.model_validate(numbers)


def progress(
    project: Project,
    user: Principal,
    *,
    overlap: int | None,
    today: datetime | None,
    cache: TTLCache,
) -> dict[str, Any]:
    """Items left in each queue (shared, cached a few seconds) and the person's own counts:
    answers this session (since their login), today (since ``today``) and in all."""
    sizes = cache.get(lambda: project.queue_sizes(overlap=overlap), key=("queues", overlap))
    started = None
    if user.session_id is not None:
        started = project.session_started(user.session_id)
    mine = project.my_progress(user.name, session_start=started, today_start=today)
    return {"queues": sizes, **mine}
