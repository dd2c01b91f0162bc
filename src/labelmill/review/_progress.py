"""What a person sees of their own work: items left, answers this session and today, and
their recent answers (to come back to and change)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from labelmill.enums import Queue, Status
from labelmill.schema import Schema
from labelmill.store import Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import queues as sql
from labelmill.store.queries import team as team_sql

__all__ = ["my_answers", "my_progress", "queue_sizes"]

_SNIPPET = 140


def queue_sizes(store: Store, *, overlap: int) -> dict[str, int]:
    """About how many items each queue holds for people now (the same for everybody):
    review: items in review or unlabeled; audit: items no person labeled yet; crowd: items
    without their ``overlap`` crowd answers (gold items left out)."""
    with store.session() as session:
        counts = item_sql.status_counts(session)
        full = team_sql.crowd_full_items(session, overlap)
    total = sum(counts.values())
    people = counts.get(Status.HUMAN, 0) + counts.get(Status.GOLD, 0)
    return {
        Queue.REVIEW.value: counts.get(Status.REVIEW, 0) + counts.get(Status.UNLABELED, 0),
        Queue.AUDIT.value: total - people,
        Queue.CROWD.value: max(0, total - counts.get(Status.GOLD, 0) - full),
    }


def my_progress(
    store: Store, user: str, *, session_start: datetime | None, today_start: datetime | None
) -> dict[str, Any]:
    """``user``'s answers this session, today and in all, and their open assignments."""
    with store.session() as session:
        user_id, _role = sql.user_row(session, user)
        sources = sql.person_source_ids(session, user_id)
        return {
            "answers": {
                "session": team_sql.my_answer_count(session, sources, session_start)
                if session_start is not None
                else None,
                "today": team_sql.my_answer_count(session, sources, today_start)
                if today_start is not None
                else None,
                "total": team_sql.my_answer_count(session, sources, None),
            },
            "assigned": team_sql.my_open_assignments(session, user_id),
        }


def my_answers(store: Store, schema: Schema, user: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """``user``'s latest answer per item, newest first (a withdrawn one is marked): the
    item, a snippet of it, the answer, its queue and time."""
    with store.session() as session:
        user_id, _role = sql.user_row(session, user)
        sources = sql.person_source_ids(session, user_id)
        rows = team_sql.my_votes(session, sources, limit * 5)
    seen: set[int] = set()
    out: list[dict[str, Any]] = []
    for _vid, pk, item_id, payload, label, queue, at in rows:
        if pk in seen:
            continue
        seen.add(pk)
        out.append(
            {
                "item_id": item_id,
                "snippet": snippet(schema, payload),
                "label": schema.decode(label) if label != -1 else None,
                "withdrawn": label == -1,
                "queue": queue,
                "at": at,
            }
        )
        if len(out) >= limit:
            break
    return out


def snippet(schema: Schema, payload: Any) -> str:
    """A short text standing for an item in lists (never a server path for images)."""
    if schema.data_type == "image":
        return "(image)"
    if isinstance(payload, dict):
        text = ", ".join(f"{k}={v}" for k, v in list(payload.items())[:6])
    else:
        text = str(payload if payload is not None else "")
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"
