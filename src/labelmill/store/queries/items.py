"""Items and their current labels: lookups, counts, pages for rules, rounds and exports.

Functions take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from labelmill.enums import Status
from labelmill.exceptions import NotFoundError
from labelmill.store.models import (
    Counter,
    Import,
    Item,
    Label,
    Lease,
    Served,
    Source,
    User,
    Vote,
)

__all__ = [
    "count_items",
    "count_live_leases",
    "count_users",
    "count_votes",
    "delete_items",
    "existing_hashes",
    "existing_ids",
    "export_page",
    "insert_items",
    "insert_labels",
    "item_ids",
    "item_pk",
    "item_pks",
    "item_page",
    "item_votes",
    "item_with_label",
    "labeled_rows",
    "listing",
    "max_item_pk",
    "lower_counter",
    "media_row",
    "metas",
    "payloads",
    "pks_of",
    "removal_summary",
    "round_rows",
    "status_class_counts",
    "status_counts",
    "update_labels",
]

_IN_CHUNK = 5000  # values per IN (...) list: SQLite allows 32,766 bound parameters


def item_pk(session: Session, item_id: str) -> int:
    """The internal key of the item imported as ``item_id``.

    Raises
    ------
    NotFoundError
        No such item.
    """
    pk = session.scalar(select(Item.pk).where(Item.item_id == item_id))
    if pk is None:
        raise NotFoundError(f"No item with id {item_id!r} in this project.")
    return int(pk)


def label_row(session: Session, pk: int) -> Label | None:
    """The label row of an item, to change in the caller's transaction."""
    return session.get(Label, pk)


def set_review(session: Session, priorities: dict[int, float]) -> None:
    """Send items to the review queue with the given priorities (higher first): machine
    labels and people's answers alike (a second person then labels those), never gold."""
    statement = (
        update(Label).where(Label.status != Status.GOLD).execution_options(synchronize_session=None)
    )
    rows = [
        {"item_pk": pk, "status": Status.REVIEW, "priority": float(priority)}
        for pk, priority in priorities.items()
    ]
    for start in range(0, len(rows), _IN_CHUNK):
        session.execute(statement, rows[start : start + _IN_CHUNK])


def count_items(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Item)) or 0)


def count_votes(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Vote)) or 0)


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def count_live_leases(session: Session, now: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Lease)
            .where(Lease.expires_at >= now, Lease.answered.is_(False))
        )
        or 0
    )


def max_item_pk(session: Session) -> int:
    return int(session.scalar(select(func.max(Item.pk))) or 0)


def status_counts(session: Session) -> dict[str, int]:
    """Items per label status (statuses with no item left out)."""
    rows = session.execute(select(Label.status, func.count()).group_by(Label.status)).all()
    return {str(status): int(n) for status, n in rows}


def status_class_counts(session: Session) -> list[tuple[str, int, int]]:
    """(status, label, items) for every status and label that has items (-1 = no label)."""
    rows = session.execute(
        select(Label.status, Label.label, func.count()).group_by(Label.status, Label.label)
    ).all()
    return [(str(status), int(label), int(n)) for status, label, n in rows]


def listing(
    session: Session, statuses: Sequence[str] | None, limit: int, *, by_priority: bool
) -> list[tuple[Item, Label]]:
    """Up to ``limit`` (item, label) pairs of ``statuses`` (all when empty): in review-queue
    order (priority, highest first) with ``by_priority``, else in import order."""
    query = select(Item, Label).join(Label, Label.item_pk == Item.pk)
    if statuses:
        query = query.where(Label.status.in_(list(statuses)))
    if by_priority:
        query = query.order_by(Label.priority.desc().nulls_last(), Item.pk)
    else:
        query = query.order_by(Item.pk)
    return [(row[0], row[1]) for row in session.execute(query.limit(limit)).all()]


def source_counts(session: Session) -> dict[str, int]:
    """Active sources per kind."""
    rows = session.execute(
        select(Source.kind, func.count()).where(Source.active).group_by(Source.kind)
    ).all()
    return {str(kind): int(n) for kind, n in rows}


def item_page(session: Session, after_pk: int, limit: int) -> list[tuple[int, str, Any, Any]]:
    """(pk, item_id, payload, meta) of up to ``limit`` items after ``after_pk``, in pk order."""
    rows = session.execute(
        select(Item.pk, Item.item_id, Item.payload, Item.meta)
        .where(Item.pk > after_pk)
        .order_by(Item.pk)
        .limit(limit)
    ).all()
    return [(int(r[0]), str(r[1]), r[2], r[3]) for r in rows]


def item_pks(session: Session) -> list[int]:
    """Every item's internal key, in import order."""
    return [int(pk) for pk in session.scalars(select(Item.pk).order_by(Item.pk))]


def payloads(session: Session, pks: Sequence[int]) -> dict[int, Any]:
    """pk -> payload of the items ``pks``."""
    out: dict[int, Any] = {}
    for start in range(0, len(pks), _IN_CHUNK):
        chunk = [int(pk) for pk in pks[start : start + _IN_CHUNK]]
        rows = session.execute(select(Item.pk, Item.payload).where(Item.pk.in_(chunk)))
        out.update((int(pk), payload) for pk, payload in rows)
    return out


def item_ids(session: Session, pks: Sequence[int]) -> dict[int, str]:
    """pk -> imported id of the items ``pks``."""
    out: dict[int, str] = {}
    for start in range(0, len(pks), _IN_CHUNK):
        chunk = [int(pk) for pk in pks[start : start + _IN_CHUNK]]
        rows = session.execute(select(Item.pk, Item.item_id).where(Item.pk.in_(chunk)))
        out.update((int(pk), str(item_id)) for pk, item_id in rows)
    return out


def metas(session: Session) -> list[tuple[str, dict[str, Any] | None]]:
    """(item_id, metadata) of every item."""
    return [(str(i), m) for i, m in session.execute(select(Item.item_id, Item.meta))]


def round_rows(session: Session) -> list[tuple[int, str, float, str, int, str]]:
    """(pk, content_hash, random_key, status, label, item_id) of every item, in pk order."""
    rows = session.execute(
        select(Item.pk, Item.content_hash, Item.random_key, Label.status, Label.label, Item.item_id)
        .join(Label, Label.item_pk == Item.pk)
        .order_by(Item.pk)
    ).all()
    return [(int(r[0]), str(r[1]), float(r[2]), str(r[3]), int(r[4]), str(r[5])) for r in rows]


def update_labels(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk update of machine label rows (dicts keyed by ``item_pk`` plus the columns to
    set). Rows a person labeled meanwhile (``human``, ``gold``: an answer given while a round
    ran) are left as they are."""
    statement = (
        update(Label)
        .where(Label.status != Status.HUMAN, Label.status != Status.GOLD)
        .execution_options(synchronize_session=None)
    )
    for start in range(0, len(rows), _IN_CHUNK):
        session.execute(statement, rows[start : start + _IN_CHUNK])


def export_page(
    session: Session, after_pk: int, limit: int, statuses: Sequence[str] | None
) -> list[tuple[Item, Label]]:
    """(item, label) pairs after ``after_pk`` in pk order, of the given statuses."""
    query = (
        select(Item, Label)
        .join(Label, Label.item_pk == Item.pk)
        .where(Item.pk > after_pk)
        .order_by(Item.pk)
        .limit(limit)
    )
    if statuses:
        query = query.where(Label.status.in_(list(statuses)))
    return [(row[0], row[1]) for row in session.execute(query).all()]


def labeled_rows(
    session: Session, statuses: Sequence[str] | None
) -> list[tuple[int, str, Any, int, str, list[float] | None, float | None]]:
    """(pk, item_id, payload, label, status, posterior, confidence) of labeled items, in pk
    order."""
    query = (
        select(
            Item.pk,
            Item.item_id,
            Item.payload,
            Label.label,
            Label.status,
            Label.posterior,
            Label.confidence,
        )
        .join(Label, Label.item_pk == Item.pk)
        .where(Label.label != -1)
        .order_by(Item.pk)
    )
    if statuses:
        query = query.where(Label.status.in_(list(statuses)))
    return [tuple(r) for r in session.execute(query).all()]  # type: ignore[misc]


def item_with_label(session: Session, item_id: str) -> tuple[Item, Label]:
    """The item imported as ``item_id`` and its label row (NotFoundError when missing)."""
    row = session.execute(
        select(Item, Label).join(Label, Label.item_pk == Item.pk).where(Item.item_id == item_id)
    ).first()
    if row is None:
        raise NotFoundError(f"No item with id {item_id!r} in this project.")
    return row[0], row[1]


def item_votes(session: Session, pk: int) -> list[tuple[str, str, int, Any, Any, Any]]:
    """(kind, name, label, score, queue, created_at) of every vote on an item, oldest first."""
    rows = session.execute(
        select(Source.kind, Source.name, Vote.label, Vote.score, Vote.queue, Vote.created_at)
        .join(Source, Source.id == Vote.source_id)
        .where(Vote.item_pk == pk)
        .order_by(Vote.id)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def media_row(session: Session, item_id: str) -> tuple[Any, str | None] | None:
    """(stored payload, path of the import that brought it) of an item, or None."""
    row = session.execute(
        select(Item.payload, Import.path)
        .outerjoin(Import, Import.id == Item.import_id)
        .where(Item.item_id == item_id)
    ).first()
    return None if row is None else (row[0], row[1])


# -- writing imports ---------------------------------------------------------------------
def start_import(session: Session, path: str) -> Import:
    record = Import(path=path)
    session.add(record)
    session.flush()
    return record


def existing_hashes(
    session: Session, hashes: Sequence[str], import_id: int
) -> list[tuple[str, str, bool]]:
    """(content_hash, item_id, from this import) of stored items with one of ``hashes``."""
    rows = session.execute(
        select(Item.content_hash, Item.item_id, Item.import_id == import_id).where(
            Item.content_hash.in_(list(hashes))
        )
    )
    return [(str(h), str(i), bool(here)) for h, i, here in rows]


def existing_ids(session: Session, ids: Sequence[str]) -> set[str]:
    return set(session.scalars(select(Item.item_id).where(Item.item_id.in_(list(ids)))))


def insert_items(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert item rows; returns item_id -> pk."""
    out = session.execute(insert(Item).returning(Item.item_id, Item.pk), rows).all()
    return {str(item_id): int(pk) for item_id, pk in out}


def insert_labels(session: Session, labels: list[dict[str, Any]]) -> None:
    session.execute(insert(Label), labels)


def insert_raw_votes(session: Session, votes: list[dict[str, Any]]) -> None:
    if votes:
        session.execute(insert(Vote), votes)


# -- the report --------------------------------------------------------------------------
def imports(session: Session) -> list[Import]:
    """Every import, oldest first."""
    return list(session.scalars(select(Import).order_by(Import.id)))


def metadata_keys(session: Session, *, sample: int = 2000) -> list[str]:
    """The metadata keys of the first ``sample`` items (sorted)."""
    keys: set[str] = set()
    for (meta,) in session.execute(select(Item.meta).order_by(Item.pk).limit(sample)):
        keys.update(meta or {})
    return sorted(keys)


def label_counts(session: Session) -> dict[int, int]:
    """Current labels per class index (-1: no label)."""
    rows = session.execute(select(Label.label, func.count()).group_by(Label.label))
    return {int(label): int(n) for label, n in rows}


def users_by_role(session: Session) -> dict[str, int]:
    """People who can log in, per role."""
    rows = session.execute(
        select(User.role, func.count()).where(User.password_hash != "!").group_by(User.role)
    )
    return {str(role): int(n) for role, n in rows}


def votes_by_source_kind(session: Session) -> dict[str, int]:
    """Non-abstain votes per source kind."""
    rows = session.execute(
        select(Source.kind, func.count())
        .join(Vote, Vote.source_id == Source.id)
        .where(Vote.label != -1)
        .group_by(Source.kind)
    )
    return {str(kind): int(n) for kind, n in rows}


# -- removing items ----------------------------------------------------------------------
def pks_of(session: Session, item_ids: Sequence[str]) -> dict[str, int]:
    """item_id -> pk of the items among ``item_ids`` that exist."""
    out: dict[str, int] = {}
    for start in range(0, len(item_ids), _IN_CHUNK):
        chunk = list(item_ids[start : start + _IN_CHUNK])
        rows = session.execute(select(Item.item_id, Item.pk).where(Item.item_id.in_(chunk)))
        out.update((str(i), int(pk)) for i, pk in rows)
    return out


def removal_summary(session: Session, pks: Sequence[int]) -> dict[str, int]:
    """What removing the items ``pks`` takes away: their votes, and the answers people
    gave on them per queue (``answers:review``, ``answers:audit``: the running counts the
    review queue's audit quota reads)."""
    out = {"votes": 0, "answers:review": 0, "answers:audit": 0}
    for start in range(0, len(pks), _IN_CHUNK):
        chunk = [int(pk) for pk in pks[start : start + _IN_CHUNK]]
        out["votes"] += int(
            session.scalar(select(func.count()).select_from(Vote).where(Vote.item_pk.in_(chunk)))
            or 0
        )
        rows = session.execute(
            select(Vote.queue, func.count())
            .join(Source, Source.id == Vote.source_id)
            .where(Vote.item_pk.in_(chunk), Vote.label != -1, Source.kind == "human")
            .where(Vote.queue.in_(["review", "audit"]))
            .group_by(Vote.queue)
        ).all()
        for queue, n in rows:
            out[f"answers:{queue}"] += int(n)
    return out


def delete_items(session: Session, pks: Sequence[int]) -> None:
    """Delete the items ``pks`` with everything that hangs on them: votes, label, leases and
    what was served of them."""
    for start in range(0, len(pks), _IN_CHUNK):
        chunk = [int(pk) for pk in pks[start : start + _IN_CHUNK]]
        for model in (Vote, Label, Lease, Served):
            session.execute(delete(model).where(model.item_pk.in_(chunk)))
        session.execute(delete(Item).where(Item.pk.in_(chunk)))


def lower_counter(session: Session, name: str, by: int) -> None:
    """Take ``by`` off a running count (never below zero)."""
    if by:
        session.execute(
            update(Counter).where(Counter.name == name).values(value=Counter.value - by)
        )
        session.execute(
            update(Counter).where(Counter.name == name, Counter.value < 0).values(value=0)
        )
