"""Human answers and the queues that serve items to people.

Three queues:

- ``review``: items whose machine label is not trusted yet, in the order the last round's
  active-learning strategy chose (``labels.priority``); before any round, unlabeled items
  in random order. It mixes in ``audit`` items (see below) until the audit sample is as
  large as the threshold policy needs (and then at ``audit_fraction`` of the answers).
- ``audit``: the random audit sample, in the fixed random order of ``items.random_key``,
  served *blind* (no suggestion, no votes). Its answers are gold: used to choose the
  auto-accept threshold and to estimate accuracy, never to train.
- ``crowd``: every item goes to ``overlap`` distinct people; nobody sees another's answer.
  Crowd answers are votes of per-worker sources, combined by the aggregator in the next
  round.

An item handed to someone is leased (``leases``) so that nobody else is served it until
the lease expires or the answer arrives. Each answer is one transaction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from labelmill.exceptions import ConfigError, NotFoundError
from labelmill.schema import Schema
from labelmill.store import AuditLog, Item, Label, Lease, Round, Source, Store, User, Vote

__all__ = ["QUEUES", "QueueItem", "add_answer", "next_items", "undo_answer"]

QUEUES = ("review", "audit", "crowd")
HUMAN_STATUSES = ("human", "gold")
_CANDIDATES = 64


@dataclass
class QueueItem:
    """An item served to a person, with what they may see."""

    item_id: str
    payload: Any
    mode: str  # "review", "audit" (blind) or "crowd" (blind to others' answers)
    suggestion: str | list[str] | None = None
    confidence: float | None = None
    votes: list[dict[str, Any]] = field(default_factory=list)
    lease_expires_at: datetime | None = None


def _check_queue(queue: str) -> None:
    if queue not in QUEUES:
        raise ConfigError(f"The queue must be one of {', '.join(QUEUES)}. Got {queue!r} instead.")


def audit_quota(session: Session, n: int, *, minimum: int, fraction: float) -> int:
    """How many of the next ``n`` review items should come from the audit sample: enough to
    reach ``minimum`` audit answers first, then ``fraction`` of all answers. Before any round
    has produced a model, only ``fraction``: audit answers cannot train the first model."""
    answers = dict(
        session.execute(
            select(Vote.queue, func.count())
            .join(Source, Source.id == Vote.source_id)
            .where(Source.kind == "human", Vote.label != -1)
            .group_by(Vote.queue)
        ).all()
    )
    audited = answers.get("audit", 0)
    total = sum(answers.values())
    if session.scalar(select(Round.id).where(Round.status == "done").limit(1)) is None:
        minimum = 0
    wanted = max(minimum - audited, math.ceil(fraction * (total + n)) - audited)
    return max(0, min(n, wanted))


def next_items(
    store: Store,
    schema: Schema,
    *,
    queue: str = "review",
    n: int = 1,
    user: str | None = None,
    lease_seconds: float = 600.0,
    overlap: int = 3,
    audit_minimum: int = 59,
    audit_fraction: float = 0.2,
) -> list[QueueItem]:
    """Serve up to ``n`` items of ``queue``, leasing them to ``user`` when one is given.

    Items leased to someone else, and items ``user`` already answered, are skipped.
    Returns fewer than ``n`` (possibly none) when the queue runs dry.
    """
    _check_queue(queue)
    if n < 1:
        raise ConfigError(f"The number of items to serve must be at least 1. Got {n} instead.")

    def work(session: Session) -> list[QueueItem]:
        user_id = _user_id(session, user) if user is not None else None
        now = datetime.now(UTC)
        session.execute(delete(Lease).where(Lease.expires_at < now))
        served: list[QueueItem] = []
        n_audit = 0
        if queue == "review":
            n_audit = audit_quota(session, n, minimum=audit_minimum, fraction=audit_fraction)
        while len(served) < n:
            mode = "audit" if len(served) < n_audit else queue
            skip = {q.item_id for q in served}
            got = _serve_one(session, schema, mode, user_id, lease_seconds, overlap, now, skip)
            if got is None and mode == "audit" and queue == "review":
                got = _serve_one(
                    session, schema, "review", user_id, lease_seconds, overlap, now, skip
                )
            if got is None:
                break
            served.append(got)
            if user_id is None and mode == queue:  # without leases, a plain ordered list
                served.extend(
                    _peek(session, schema, mode, n - len(served), skip={q.item_id for q in served})
                )
                break
        return served

    return store.write(work)


def _candidates_query(mode: str, user_sources: list[int] | None, overlap: int) -> Any:
    """Items of a queue in serving order, without those answered by ``user_sources``."""
    query = select(Item, Label).join(Label, Label.item_pk == Item.pk)
    if mode == "review":
        query = query.where(Label.status.in_(("review", "unlabeled"))).order_by(
            Label.priority.desc().nulls_last(), Item.random_key.desc()
        )
    elif mode == "audit":
        query = query.where(Label.status.not_in(HUMAN_STATUSES)).order_by(Item.random_key)
    else:  # crowd: items with fewer than `overlap` crowd answers
        crowd_answers = (
            select(func.count())
            .select_from(Vote)
            .join(Source, Source.id == Vote.source_id)
            .where(Vote.item_pk == Item.pk, Source.kind == "crowd", Vote.label != -1)
            .scalar_subquery()
        )
        query = query.where(crowd_answers < overlap, Label.status != "gold").order_by(
            Item.random_key
        )
    if user_sources:
        answered = exists().where(
            Vote.item_pk == Item.pk, Vote.source_id.in_(user_sources), Vote.label != -1
        )
        query = query.where(~answered)
    return query


def _sources_of(session: Session, user_id: int | None) -> list[int] | None:
    if user_id is None:
        return None
    name = select(User.name).where(User.id == user_id).scalar_subquery()
    return list(
        session.scalars(
            select(Source.id).where(Source.kind.in_(("human", "crowd")), Source.name == name)
        )
    )


def _serve_one(
    session: Session,
    schema: Schema,
    mode: str,
    user_id: int | None,
    lease_seconds: float,
    overlap: int,
    now: datetime,
    skip: set[str],
) -> QueueItem | None:
    slots = overlap if mode == "crowd" else 1
    user_sources = _sources_of(session, user_id)
    query = _candidates_query(mode, user_sources, overlap)
    if skip:
        query = query.where(Item.item_id.not_in(skip))
    if user_id is not None:
        leased_by_others = (
            select(func.count())
            .select_from(Lease)
            .where(Lease.item_pk == Item.pk, Lease.user_id != user_id)
            .scalar_subquery()
        )
        # "pk IN (this user's leases)", not a correlated EXISTS: the database starts from the
        # user's few leases instead of walking the whole queue (seconds at a million items).
        mine = Item.pk.in_(select(Lease.item_pk).where(Lease.user_id == user_id))
        query = query.where(leased_by_others < slots)
        # An item this user already holds comes back first (a page reload, a retry).
        held = session.execute(query.where(mine).limit(1)).first()
        if held is not None:
            lease = session.scalars(
                select(Lease).where(Lease.item_pk == held[0].pk, Lease.user_id == user_id)
            ).first()
            if lease is not None:
                lease.expires_at = now + timedelta(seconds=lease_seconds)
            return _to_queue_item(session, schema, held[0], held[1], mode, lease)
    for item, label in _first_candidates(session, query, mode):
        if user_id is None:
            return _to_queue_item(session, schema, item, label, mode, None)
        lease = _take_lease(session, item.pk, user_id, mode, slots, now, lease_seconds)
        if lease is not None:
            return _to_queue_item(session, schema, item, label, mode, lease)
    return None


def _first_candidates(session: Session, query: Any, mode: str) -> list[Any]:
    """The first rows of ``query`` in serving order.

    The review order puts items with a priority first (``nulls_last``). Asking for those
    and for the others (in ``random_key`` order) separately gives the same rows, but each
    part can walk an index instead of sorting the whole queue (seconds at a million items).
    """
    if mode != "review":
        return list(session.execute(query.limit(_CANDIDATES)).all())
    rows = list(session.execute(query.where(Label.priority.is_not(None)).limit(_CANDIDATES)))
    if len(rows) < _CANDIDATES:
        rest = query.where(Label.priority.is_(None)).order_by(None).order_by(Item.random_key.desc())
        rows += session.execute(rest.limit(_CANDIDATES - len(rows))).all()
    return rows


def _take_lease(
    session: Session,
    item_pk: int,
    user_id: int,
    queue: str,
    slots: int,
    now: datetime,
    lease_seconds: float,
) -> Lease | None:
    """Insert a lease in the first free slot; the unique key settles races between servers."""
    insert_for = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    expires = now + timedelta(seconds=lease_seconds)
    for slot in range(slots):
        statement = (
            insert_for(Lease)
            .values(item_pk=item_pk, slot=slot, user_id=user_id, queue=queue, expires_at=expires)
            .on_conflict_do_nothing(index_elements=["item_pk", "slot"])
            .returning(Lease.id)
        )
        lease_id = session.execute(statement).scalar()
        if lease_id is not None:
            return session.get(Lease, lease_id)
    return None


def _peek(
    session: Session, schema: Schema, mode: str, n: int, *, skip: set[str]
) -> list[QueueItem]:
    if n <= 0:
        return []
    rows = session.execute(_candidates_query(mode, None, 3).limit(n + len(skip))).all()
    out = [_to_queue_item(session, schema, i, lab, mode, None) for i, lab in rows]
    return [q for q in out if q.item_id not in skip][:n]


def _to_queue_item(
    session: Session,
    schema: Schema,
    item: Item,
    label: Label,
    mode: str,
    lease: Lease | None,
) -> QueueItem:
    served = QueueItem(
        item_id=item.item_id,
        payload=item.payload,
        mode=mode,
        lease_expires_at=lease.expires_at if lease is not None else None,
    )
    if mode == "review":
        served.suggestion = schema.decode(label.label) if label.label != -1 else None
        served.confidence = label.confidence
        served.votes = [
            {"source": f"{kind}:{name}", "label": schema.decode(value), "score": score}
            for kind, name, value, score in session.execute(
                select(Source.kind, Source.name, Vote.label, Vote.score)
                .join(Source, Source.id == Vote.source_id)
                .where(
                    Vote.item_pk == item.pk, Vote.label != -1, Source.kind.in_(("rule", "model"))
                )
                .order_by(Vote.id.desc())
                .limit(50)
            )
        ]
    return served


def _user_id(session: Session, name: str) -> int:
    """The id of user ``name``; a user row is created for library/oracle use if missing."""
    user_id = session.scalar(select(User.id).where(User.name == name))
    if user_id is None:
        user = User(name=name, role="annotator", password_hash="!", active=True)
        session.add(user)
        session.flush()
        user_id = user.id
    return user_id


def _human_source(session: Session, user: str, kind: str) -> int:
    source_id = session.scalar(
        select(Source.id).where(Source.kind == kind, Source.name == user, Source.version == "1")
    )
    if source_id is None:
        source = Source(kind=kind, name=user, version="1", definition={"user": user})
        session.add(source)
        session.flush()
        source_id = source.id
    return source_id


def add_answer(
    store: Store,
    schema: Schema,
    item_id: str,
    label: Any,
    *,
    user: str,
    queue: str = "review",
    skip: bool = False,
) -> None:
    """Record one person's answer on an item, in one transaction.

    ``label`` is a class name (a list of names for multi-label). In ``review`` the item
    becomes ``human``; in ``audit`` it becomes ``gold`` (a blind, random check); in
    ``crowd`` the answer is a vote of the worker's source and the item's label waits for
    the aggregator. ``skip=True`` records nothing but releases the lease.
    """
    _check_queue(queue)
    value = None if skip else schema.encode(label)

    def work(session: Session) -> None:
        pk = _item_pk(session, item_id)
        user_id = _user_id(session, user)
        session.execute(delete(Lease).where(Lease.item_pk == pk, Lease.user_id == user_id))
        if value is None:
            session.add(
                AuditLog(actor=user, action="skip", target=item_id, details={"queue": queue})
            )
            return
        source_id = _human_source(session, user, "crowd" if queue == "crowd" else "human")
        session.add(Vote(item_pk=pk, source_id=source_id, label=value, queue=queue))
        if queue != "crowd":
            row = session.get(Label, pk)
            assert row is not None  # every item gets a label row at import
            row.label = value
            row.status = "gold" if queue == "audit" else "human"
            row.confidence = 1.0
            row.sources = [source_id]
            row.updated_at = datetime.now(UTC)
        session.add(
            AuditLog(
                actor=user,
                action="answer",
                target=item_id,
                details={"queue": queue, "label": value},
            )
        )

    store.write(work)


def undo_answer(store: Store, schema: Schema, item_id: str, *, user: str) -> None:
    """Withdraw ``user``'s latest answer on ``item_id`` (a superseding abstain vote).

    The item goes back to the machine's label from the last round (status ``review``), or
    to ``unlabeled`` when no round has labeled it.
    """

    def work(session: Session) -> None:
        pk = _item_pk(session, item_id)
        last = session.execute(
            select(Vote, Source)
            .join(Source, Source.id == Vote.source_id)
            .where(Vote.item_pk == pk, Source.name == user, Source.kind.in_(("human", "crowd")))
            .order_by(Vote.id.desc())
            .limit(1)
        ).first()
        if last is None or last[0].label == -1:
            raise NotFoundError(f"{user} has no answer on item {item_id!r} to undo.")
        vote, source = last
        session.add(Vote(item_pk=pk, source_id=source.id, label=-1, queue=vote.queue))
        row = session.get(Label, pk)
        if row is not None and source.kind == "human":
            posterior = row.posterior
            if posterior:
                row.label = int(max(range(len(posterior)), key=posterior.__getitem__))
                row.status, row.confidence = "review", max(posterior)
            else:
                row.label, row.status, row.confidence = -1, "unlabeled", None
            row.sources = None
        session.add(AuditLog(actor=user, action="undo", target=item_id, details={"vote": vote.id}))

    store.write(work)


def _item_pk(session: Session, item_id: str) -> int:
    pk = session.scalar(select(Item.pk).where(Item.item_id == item_id))
    if pk is None:
        raise NotFoundError(f"No item with id {item_id!r} in this project.")
    return pk


def latest_answers(
    session: Session, *, kinds: tuple[str, ...] = ("human",)
) -> list[tuple[int, str, str, int, str | None]]:
    """(item_pk, kind, user, label, queue) of every current answer of people of ``kinds``:
    the latest vote per (user, item), withdrawn answers (undo) left out."""
    latest = (
        select(Vote.item_pk, Vote.source_id, func.max(Vote.id).label("vid"))
        .join(Source, Source.id == Vote.source_id)
        .where(Source.kind.in_(kinds))
        .group_by(Vote.item_pk, Vote.source_id)
        .subquery()
    )
    rows = session.execute(
        select(Vote.item_pk, Source.kind, Source.name, Vote.label, Vote.queue)
        .join(latest, and_(latest.c.vid == Vote.id))
        .join(Source, Source.id == Vote.source_id)
        .where(Vote.label != -1)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]
