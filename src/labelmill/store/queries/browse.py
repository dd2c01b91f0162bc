"""The item browser's statements: filtered pages of items, and everything about one item.
Functions take a session and never commit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, cast, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from labelmill.enums import SourceKind
from labelmill.store.models import (
    Assignment,
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
    "COUNT_CAP",
    "all_matches",
    "comment_counts",
    "count_matches",
    "item_people_votes",
    "lease_holders",
    "page",
    "people_names",
    "people_votes_of",
    "rule_names",
    "skip_counts_of",
]

PEOPLE = (SourceKind.HUMAN, SourceKind.CROWD)
COUNT_CAP = 10_000


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(f: dict[str, Any]) -> Any:
    """``SELECT items.pk ...`` with the browser's filters (see :func:`page`)."""
    query = select(Item.pk).join(Label, Label.item_pk == Item.pk)
    text = f.get("text")
    if text:
        # Payloads are stored as JSON text, non-ASCII escaped: search the same spelling.
        needle = _like_escape(json.dumps(str(text))[1:-1])
        query = query.where(
            or_(
                cast(Item.payload, String).ilike(f"%{needle}%", escape="\\"),
                Item.item_id.ilike(f"%{_like_escape(str(text))}%", escape="\\"),
            )
        )
    if f.get("statuses"):
        query = query.where(Label.status.in_(list(f["statuses"])))
    if f.get("label") is not None:
        query = query.where(Label.label == int(f["label"]))
    if f.get("min_confidence") is not None:
        query = query.where(Label.confidence >= float(f["min_confidence"]))
    if f.get("max_confidence") is not None:
        query = query.where(Label.confidence <= float(f["max_confidence"]))
    if f.get("rule"):
        query = query.where(
            exists().where(
                Vote.item_pk == Item.pk,
                Vote.label != -1,
                Vote.source_id.in_(
                    select(Source.id).where(
                        Source.kind == SourceKind.RULE, Source.name == f["rule"], Source.active
                    )
                ),
            )
        )
    if f.get("person"):
        query = query.where(
            exists().where(
                Vote.item_pk == Item.pk,
                Vote.label != -1,
                Vote.source_id.in_(
                    select(Source.id).where(Source.kind.in_(PEOPLE), Source.name == f["person"])
                ),
            )
        )
    if f.get("disagreement"):
        first, second = aliased(Vote), aliased(Vote)
        s1, s2 = aliased(Source), aliased(Source)
        differ = (
            select(first.id)
            .join(s1, s1.id == first.source_id)
            .join(second, second.item_pk == first.item_pk)
            .join(s2, s2.id == second.source_id)
            .where(
                first.item_pk == Item.pk,
                s1.kind.in_(PEOPLE),
                s2.kind.in_(PEOPLE),
                s1.name != s2.name,
                first.label != -1,
                second.label != -1,
                first.label != second.label,
            )
        )
        query = query.where(differ.exists())
    if f.get("skipped"):
        query = query.where(
            exists().where(Served.item_pk == Item.pk, Served.skipped_at.is_not(None))
        )
    if f.get("commented"):
        query = query.where(exists().where(Comment.item_pk == Item.pk))
    if f.get("assigned_to"):
        query = query.where(
            exists().where(
                Assignment.item_pk == Item.pk,
                Assignment.user_id.in_(select(User.id).where(User.name == f["assigned_to"])),
            )
        )
    return query


def page(
    session: Session, filters: dict[str, Any], after_pk: int, limit: int
) -> list[tuple[int, str, Any, int, str, float | None]]:
    """(pk, item_id, payload, label, status, confidence) of up to ``limit`` matching items
    after ``after_pk``, in pk order."""
    pks = _filtered(filters).where(Item.pk > after_pk).order_by(Item.pk).limit(limit).subquery()
    rows = session.execute(
        select(Item.pk, Item.item_id, Item.payload, Label.label, Label.status, Label.confidence)
        .join(Label, Label.item_pk == Item.pk)
        .join(pks, pks.c.pk == Item.pk)
        .order_by(Item.pk)
    ).all()
    return [(int(r[0]), str(r[1]), r[2], int(r[3]), str(r[4]), r[5]) for r in rows]


def all_matches(session: Session, filters: dict[str, Any], limit: int) -> list[int]:
    """The pks of up to ``limit`` matching items, in pk order (for assigning a filter)."""
    return [int(pk) for pk in session.scalars(_filtered(filters).order_by(Item.pk).limit(limit))]


def count_matches(session: Session, filters: dict[str, Any]) -> int:
    """How many items match, counted up to 10,001 (the browser shows "10,000+")."""
    capped = _filtered(filters).limit(COUNT_CAP + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(capped)) or 0)


def people_votes_of(
    session: Session, pks: Sequence[int]
) -> list[tuple[int, str, str, int, str | None, Any, int]]:
    """(item_pk, kind, user, label, queue, created_at, vote id) of every vote people cast on
    the items (answers and withdrawals), oldest first."""
    if not pks:
        return []
    rows = session.execute(
        select(
            Vote.item_pk, Source.kind, Source.name, Vote.label, Vote.queue, Vote.created_at, Vote.id
        )
        .join(Source, Source.id == Vote.source_id)
        .where(Vote.item_pk.in_([int(p) for p in pks]), Source.kind.in_(PEOPLE))
        .order_by(Vote.id)
    ).all()
    return [(int(r[0]), str(r[1]), str(r[2]), int(r[3]), r[4], r[5], int(r[6])) for r in rows]


def item_people_votes(
    session: Session, pk: int
) -> list[tuple[int, str, str, int, str | None, Any, int]]:
    return people_votes_of(session, [pk])


def comment_counts(session: Session, pks: Sequence[int]) -> dict[int, int]:
    if not pks:
        return {}
    rows = session.execute(
        select(Comment.item_pk, func.count())
        .where(Comment.item_pk.in_([int(p) for p in pks]))
        .group_by(Comment.item_pk)
    )
    return {int(pk): int(n) for pk, n in rows}


def skip_counts_of(session: Session, pks: Sequence[int]) -> dict[int, int]:
    if not pks:
        return {}
    rows = session.execute(
        select(Served.item_pk, func.count())
        .where(Served.item_pk.in_([int(p) for p in pks]), Served.skipped_at.is_not(None))
        .group_by(Served.item_pk)
    )
    return {int(pk): int(n) for pk, n in rows}


def lease_holders(session: Session, pk: int, now: Any) -> list[tuple[str, str, bool]]:
    """(user, queue, answered) of the item's leases that are live or hold a crowd answer."""
    rows = session.execute(
        select(User.name, Lease.queue, Lease.answered)
        .select_from(Lease)
        .join(User, User.id == Lease.user_id)
        .where(Lease.item_pk == pk, or_(Lease.answered.is_(True), Lease.expires_at >= now))
        .order_by(Lease.slot)
    )
    return [(str(u), str(q), bool(a)) for u, q, a in rows]


def rule_names(session: Session) -> list[str]:
    """The names of the active rules, sorted."""
    return sorted(
        set(
            session.scalars(
                select(Source.name).where(Source.kind == SourceKind.RULE, Source.active)
            )
        )
    )


def people_names(session: Session) -> list[str]:
    """The names of everybody who answered something, sorted."""
    return sorted(set(session.scalars(select(Source.name).where(Source.kind.in_(PEOPLE)))))
