"""A labeling team's statements: comments, assignments, personal progress and history,
skips, time per item, the audit log. Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from labelmill.enums import SourceKind, Status
from labelmill.store.dialect import insert_for
from labelmill.store.models import (
    Assignment,
    AuditLog,
    Comment,
    Item,
    Label,
    Lease,
    Served,
    Source,
    User,
    Vote,
)

__all__ = [
    "add_comment",
    "assign",
    "assignment_counts",
    "audit_log_page",
    "commented_items",
    "comments_of",
    "crowd_full_items",
    "first_shown",
    "gold_items",
    "item_assignees",
    "item_skips",
    "my_answer_count",
    "my_open_assignments",
    "my_votes",
    "people_answers",
    "skip_counts",
    "skips_of",
    "unassign",
]

_PEOPLE = (SourceKind.HUMAN, SourceKind.CROWD)
_IN_CHUNK = 5000


# -- comments ----------------------------------------------------------------------------------
def add_comment(session: Session, item_pk: int, user_id: int, text: str, now: datetime) -> int:
    row = Comment(item_pk=item_pk, user_id=user_id, text=text, created_at=now)
    session.add(row)
    session.flush()
    return int(row.id)


def commented_items(session: Session) -> list[int]:
    """The pks of the items that have comments."""
    return [int(pk) for pk in session.scalars(select(Comment.item_pk).distinct())]


def comments_of(session: Session, item_pks: Sequence[int]) -> list[tuple[int, int, str, str, Any]]:
    """(comment id, item_pk, user, text, created_at) of the items' comments, oldest first."""
    out: list[tuple[int, int, str, str, Any]] = []
    for start in range(0, len(item_pks), _IN_CHUNK):
        chunk = [int(pk) for pk in item_pks[start : start + _IN_CHUNK]]
        rows = session.execute(
            select(Comment.id, Comment.item_pk, User.name, Comment.text, Comment.created_at)
            .join(User, User.id == Comment.user_id)
            .where(Comment.item_pk.in_(chunk))
            .order_by(Comment.id)
        )
        out += [(int(i), int(pk), str(u), str(t), at) for i, pk, u, t, at in rows]
    return out


# -- skips -------------------------------------------------------------------------------------
def item_skips(session: Session, item_pk: int) -> list[tuple[str, str, str | None, Any]]:
    """(user, queue, reason, skipped_at) of the people who skipped the item."""
    rows = session.execute(
        select(User.name, Served.queue, Served.skip_reason, Served.skipped_at)
        .select_from(Served)
        .join(User, User.id == Served.user_id)
        .where(Served.item_pk == item_pk, Served.skipped_at.is_not(None))
        .order_by(Served.skipped_at)
    )
    return [(str(u), str(q), r, at) for u, q, r, at in rows]


def skips_of(
    session: Session, item_pks: Sequence[int] | None
) -> list[tuple[int, str, str, str | None, Any]]:
    """(item_pk, user, queue, reason, skipped_at) of the skips of ``item_pks`` (None: all)."""
    query = (
        select(Served.item_pk, User.name, Served.queue, Served.skip_reason, Served.skipped_at)
        .select_from(Served)
        .join(User, User.id == Served.user_id)
        .where(Served.skipped_at.is_not(None))
        .order_by(Served.item_pk, Served.skipped_at)
    )
    if item_pks is not None:
        query = query.where(Served.item_pk.in_([int(pk) for pk in item_pks]))
    return [(int(pk), str(u), str(q), r, at) for pk, u, q, r, at in session.execute(query)]


def skip_counts(session: Session) -> dict[str, int]:
    """Skips per person."""
    rows = session.execute(
        select(User.name, func.count())
        .select_from(Served)
        .join(User, User.id == Served.user_id)
        .where(Served.skipped_at.is_not(None))
        .group_by(User.name)
    )
    return {str(u): int(n) for u, n in rows}


def first_shown(session: Session) -> dict[tuple[int, str], Any]:
    """(item_pk, user) -> when the item was first shown to that person."""
    rows = session.execute(
        select(Served.item_pk, User.name, Served.first_at)
        .select_from(Served)
        .join(User, User.id == Served.user_id)
    )
    return {(int(pk), str(u)): at for pk, u, at in rows}


# -- assignments -------------------------------------------------------------------------------
def assign(session: Session, pairs: Sequence[tuple[int, int]], actor: str, now: datetime) -> int:
    """Assign items to people: (item_pk, user_id) pairs; pairs already assigned are opened
    again. Returns the number of pairs written."""
    if not pairs:
        return 0
    statement = insert_for(session)(Assignment)
    statement = statement.on_conflict_do_update(
        index_elements=["item_pk", "user_id"],
        set_={"done_at": None, "assigned_by": actor, "assigned_at": now},
    )
    rows = [
        {"item_pk": pk, "user_id": uid, "assigned_by": actor, "assigned_at": now, "done_at": None}
        for pk, uid in pairs
    ]
    for start in range(0, len(rows), _IN_CHUNK):
        session.execute(statement, rows[start : start + _IN_CHUNK])
    return len(rows)


def unassign(session: Session, item_pks: Sequence[int] | None, user_ids: Sequence[int]) -> int:
    """Remove open assignments of ``user_ids`` (of ``item_pks``, or all of theirs)."""
    query = delete(Assignment).where(
        Assignment.user_id.in_(list(user_ids)), Assignment.done_at.is_(None)
    )
    if item_pks is not None:
        query = query.where(Assignment.item_pk.in_([int(pk) for pk in item_pks]))
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def assignment_counts(session: Session) -> list[tuple[str, int, int]]:
    """(user, open, done) assignments per person."""
    rows = session.execute(
        select(
            User.name,
            func.count().filter(Assignment.done_at.is_(None)),
            func.count().filter(Assignment.done_at.is_not(None)),
        )
        .select_from(Assignment)
        .join(User, User.id == Assignment.user_id)
        .group_by(User.name)
        .order_by(User.name)
    )
    return [(str(u), int(o), int(d)) for u, o, d in rows]


def item_assignees(session: Session, item_pk: int) -> list[tuple[str, bool]]:
    """(user, done) of the people the item is assigned to."""
    rows = session.execute(
        select(User.name, Assignment.done_at)
        .select_from(Assignment)
        .join(User, User.id == Assignment.user_id)
        .where(Assignment.item_pk == item_pk)
        .order_by(User.name)
    )
    return [(str(u), done is not None) for u, done in rows]


def my_open_assignments(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(Assignment.user_id == user_id, Assignment.done_at.is_(None))
        )
        or 0
    )


# -- personal progress and history -------------------------------------------------------------
def my_answer_count(session: Session, source_ids: Sequence[int], since: datetime | None) -> int:
    """How many items the sources ``source_ids`` answered since ``since`` and still have an
    answer on (a changed answer counts once, a withdrawn one not at all)."""
    if not source_ids:
        return 0
    query = select(Vote.item_pk, Vote.label).where(Vote.source_id.in_(list(source_ids)))
    if since is not None:
        query = query.where(Vote.created_at >= since)
    latest: dict[int, int] = {}
    for pk, label in session.execute(query.order_by(Vote.id)):
        latest[int(pk)] = int(label)
    return sum(label != -1 for label in latest.values())


def my_votes(session: Session, source_ids: Sequence[int], limit: int) -> list[Any]:
    """The newest votes of ``source_ids`` (answers and withdrawals), with the item's id and
    payload: rows (vote_id, item_pk, item_id, payload, label, queue, created_at)."""
    if not source_ids:
        return []
    return list(
        session.execute(
            select(
                Vote.id,
                Vote.item_pk,
                Item.item_id,
                Item.payload,
                Vote.label,
                Vote.queue,
                Vote.created_at,
            )
            .join(Item, Item.pk == Vote.item_pk)
            .where(Vote.source_id.in_(list(source_ids)))
            .order_by(Vote.id.desc())
            .limit(limit)
        ).all()
    )


def crowd_full_items(session: Session, overlap: int) -> int:
    """Items whose crowd answers reached ``overlap`` (answered slots)."""
    full = (
        select(Lease.item_pk)
        .where(Lease.answered.is_(True))
        .group_by(Lease.item_pk)
        .having(func.count() >= overlap)
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(full)) or 0)


def gold_items(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Label).where(Label.status == Status.GOLD))
        or 0
    )


# -- audit log ---------------------------------------------------------------------------------
def audit_log_page(
    session: Session, before_id: int | None, limit: int, actor: str | None, action: str | None
) -> list[AuditLog]:
    """Audit log rows, newest first, with ids below ``before_id``."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    if actor:
        query = query.where(AuditLog.actor == actor)
    if action:
        query = query.where(AuditLog.action.startswith(action))
    return list(session.scalars(query))


def people_answers(session: Session) -> list[tuple[int, str, str, int, str | None, Any]]:
    """(item_pk, kind, user, label, queue, created_at) of every current answer of people:
    the latest vote per (person source, item), withdrawals left out."""
    latest = (
        select(func.max(Vote.id).label("vid"))
        .join(Source, Source.id == Vote.source_id)
        .where(Source.kind.in_(_PEOPLE))
        .group_by(Vote.item_pk, Vote.source_id)
        .subquery()
    )
    rows = session.execute(
        select(Vote.item_pk, Source.kind, Source.name, Vote.label, Vote.queue, Vote.created_at)
        .join(latest, and_(latest.c.vid == Vote.id))
        .join(Source, Source.id == Vote.source_id)
        .where(Vote.label != -1)
    ).all()
    return [(int(r[0]), str(r[1]), str(r[2]), int(r[3]), r[4], r[5]) for r in rows]
