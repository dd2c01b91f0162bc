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

import functools
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from labelmill.exceptions import ConfigError, NotFoundError
from labelmill.schema import Schema
from labelmill.store import (
    AuditLog,
    Counter,
    Item,
    Label,
    Lease,
    Round,
    Source,
    Store,
    User,
    Vote,
)

__all__ = ["QUEUES", "QueueItem", "add_answer", "next_items", "undo_answer"]

QUEUES = ("review", "audit", "crowd")
HUMAN_STATUSES = ("human", "gold")
REVIEWABLE = ("review", "unlabeled")  # the statuses the review queue serves
_CANDIDATES = 16


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


# Serving an item runs about ten small statements. Building a SQLAlchemy statement costs more
# than running it on an indexed table, so each shape of statement is built once, with bound
# parameters, and reused (``functools.cache``); only the parameter values change per request.
_NOT_ABSTAIN = Vote.label != -1


_ANSWER_COUNTERS = ("answers:review", "answers:audit")


@functools.cache
def _answer_counts() -> Any:
    return select(Counter.name, Counter.value).where(Counter.name.in_(_ANSWER_COUNTERS))


def _count_answer(session: Session, queue: str) -> None:
    """Add one to the count of people's answers in ``queue`` (an atomic upsert)."""
    insert_for = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    statement = _counter_increment(insert_for)
    session.execute(statement, {"name": f"answers:{queue}", "value": 1})


@functools.cache
def _counter_increment(insert_for: Any) -> Any:
    statement = insert_for(Counter)
    return statement.on_conflict_do_update(
        index_elements=["name"], set_={"value": Counter.value + statement.excluded.value}
    )


@functools.cache
def _any_round_done() -> Any:
    return select(Round.id).where(Round.status == "done").limit(1)


def audit_quota(session: Session, n: int, *, minimum: int, fraction: float) -> int:
    """How many of the next ``n`` review items should come from the audit sample: enough to
    reach ``minimum`` audit answers first, then ``fraction`` of all answers. Before any round
    has produced a model, only ``fraction``: audit answers cannot train the first model."""
    # Running counts (store.Counter), not a count of the votes: this runs on every request.
    answers = dict(session.execute(_answer_counts()).tuples().all())
    audited = answers.get("answers:audit", 0)
    total = sum(answers.values())
    if session.scalar(_any_round_done()) is None:
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
        now = datetime.now(UTC)
        session.execute(_expired_leases(), {"now": now})
        if user is None:  # no leases: a plain ordered list
            return _peek(session, schema, queue, n, overlap)
        server = _Server(session, schema, _user_id(session, user), now, lease_seconds, overlap)
        n_audit = 0
        if queue == "review":
            n_audit = audit_quota(session, n, minimum=audit_minimum, fraction=audit_fraction)
        served: list[QueueItem] = []
        while len(served) < n:
            mode = "audit" if len(served) < n_audit else queue
            got = server.serve_one(mode)
            if got is None and mode == "audit" and queue == "review":
                got = server.serve_one("review")
            if got is None:
                break
            served.append(got)
        return served

    return store.write(work)


@functools.cache
def _expired_leases() -> Any:
    return delete(Lease).where(Lease.expires_at < bindparam("now"))


@functools.cache
def _queue_pks(mode: str, part: str = "all", *, for_user: bool = False, held: bool = False) -> Any:
    """The pks of a queue's items in serving order, as a statement with bound parameters.

    The review order is ``priority DESC NULLS LAST, random_key DESC`` over the statuses
    ``review`` and ``unlabeled`` (items no round has ranked have ``random_key - 1`` from
    their import, so NULL is left only for rows written by hand). Asked in one piece, the
    database sorts the whole queue on every request (a second at a million items); so
    ``part`` asks for one status at a time (``:status``): the items with a priority
    (``"priority"``, an ordered walk of the index on ``(status, priority)``), or those
    without (``"rest"``), and :func:`_review_order` merges the parts. Those parts also
    return the sort keys.

    ``for_user`` leaves out items the user (``:sources``) answered and items leased to others
    in every slot (``:user_id``, ``:slots``); ``held`` keeps only the items leased to
    ``:user_id``. Always bound: ``:skip`` (pks already served in this call) and ``:limit``.
    """
    query = select(Item.pk).join(Label, Label.item_pk == Item.pk)
    if mode == "review" and part != "all":
        query = query.add_columns(Label.priority, Item.random_key)
        query = query.where(Label.status == bindparam("status"))
        if part == "priority":
            query = query.where(Label.priority.is_not(None))
            query = query.order_by(Label.priority.desc(), Item.random_key.desc())
        else:
            query = query.where(Label.priority.is_(None)).order_by(Item.random_key.desc())
    elif mode == "review":  # one piece: fine where few rows qualify (``held``)
        query = query.where(Label.status.in_(REVIEWABLE))
        query = query.order_by(Label.priority.desc().nulls_last(), Item.random_key.desc())
    elif mode == "audit":
        query = query.where(Label.status.not_in(HUMAN_STATUSES)).order_by(Item.random_key)
    else:  # crowd: items with fewer than `overlap` crowd answers
        crowd_answers = (
            select(func.count())
            .select_from(Vote)
            .join(Source, Source.id == Vote.source_id)
            .where(Vote.item_pk == Item.pk, Source.kind == "crowd", _NOT_ABSTAIN)
            .scalar_subquery()
        )
        query = query.where(crowd_answers < bindparam("overlap"), Label.status != "gold")
        query = query.order_by(Item.random_key)
    if for_user:
        answered = exists().where(
            Vote.item_pk == Item.pk,
            Vote.source_id.in_(bindparam("sources", expanding=True)),
            _NOT_ABSTAIN,
        )
        leased_by_others = (
            select(func.count())
            .select_from(Lease)
            .where(Lease.item_pk == Item.pk, Lease.user_id != bindparam("user_id"))
            .scalar_subquery()
        )
        query = query.where(~answered, leased_by_others < bindparam("slots"))
    if held:
        # "pk IN (this user's leases)", not a correlated EXISTS: the database starts from the
        # user's few leases instead of walking the whole queue (seconds at a million items).
        query = query.where(
            Item.pk.in_(select(Lease.item_pk).where(Lease.user_id == bindparam("user_id")))
        )
    return query.where(Item.pk.not_in(bindparam("skip", expanding=True))).limit(bindparam("limit"))


@functools.cache
def _people_sources() -> Any:
    name = select(User.name).where(User.id == bindparam("user_id")).scalar_subquery()
    return select(Source.id).where(Source.kind.in_(("human", "crowd")), Source.name == name)


@functools.cache
def _lease_insert(dialect: str) -> Any:
    """INSERT of a lease (values bound at execution) that does nothing if the slot is taken."""
    insert_for = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert_for(Lease)
        .on_conflict_do_nothing(index_elements=["item_pk", "slot"])
        .returning(Lease.id)
    )


@functools.cache
def _lease_renewal() -> Any:
    return (
        update(Lease)
        .where(Lease.item_pk == bindparam("b_item_pk"), Lease.user_id == bindparam("b_user_id"))
        .values(expires_at=bindparam("b_expires"))
    )


class _Server:
    """Serves one user's items within one transaction, leasing each (see :func:`next_items`)."""

    def __init__(
        self,
        session: Session,
        schema: Schema,
        user_id: int,
        now: datetime,
        lease_seconds: float,
        overlap: int,
    ) -> None:
        self.session, self.schema, self.user_id, self.overlap = session, schema, user_id, overlap
        self.expires = now + timedelta(seconds=lease_seconds)
        self.sources = list(session.scalars(_people_sources(), {"user_id": user_id}))
        self.served: list[int] = []

    def serve_one(self, mode: str) -> QueueItem | None:
        slots = self.overlap if mode == "crowd" else 1
        params = {
            "user_id": self.user_id,
            "sources": self.sources,
            "slots": slots,
            "overlap": self.overlap,
            "skip": self.served,
        }
        # An item this user already holds comes back first (a page reload, a retry).
        held = self.session.scalar(
            _queue_pks(mode, for_user=True, held=True), {**params, "limit": 1}
        )
        if held is not None:
            self.session.execute(
                _lease_renewal(),
                {"b_item_pk": held, "b_user_id": self.user_id, "b_expires": self.expires},
            )
            return self._item(held, mode)
        for pk in _first_candidates(self.session, mode, params):
            if self._take_lease(pk, mode, slots):
                return self._item(pk, mode)
        return None

    def _take_lease(self, item_pk: int, queue: str, slots: int) -> bool:
        """Insert a lease in the first free slot; the unique key settles races between servers."""
        statement = _lease_insert(self.session.bind.dialect.name)
        for slot in range(slots):
            params = {
                "item_pk": item_pk,
                "slot": slot,
                "user_id": self.user_id,
                "queue": queue,
                "expires_at": self.expires,
            }
            if self.session.scalar(statement, params) is not None:
                return True
        return False

    def _item(self, pk: int, mode: str) -> QueueItem:
        self.served.append(pk)
        served = _queue_items(self.session, self.schema, [pk], mode)[0]
        served.lease_expires_at = self.expires
        return served


def _review_order(session: Session, params: dict[str, Any], *, for_user: bool) -> list[int]:
    """The first ``:limit`` pks of the review queue in its order, from up to four index walks
    (see :func:`_queue_pks`)."""
    rows: list[Any] = []
    for part in ("priority", "rest"):
        for status in REVIEWABLE:
            statement = _queue_pks("review", part, for_user=for_user)
            rows += session.execute(statement, {**params, "status": status}).all()
        if len(rows) >= params["limit"]:  # items with a priority all come first
            break
    rows.sort(key=lambda r: (r.priority is None, -(r.priority or 0.0), -r.random_key))
    return [r.pk for r in rows[: params["limit"]]]


def _first_candidates(session: Session, mode: str, params: dict[str, Any]) -> list[int]:
    """The first pks of a user's queue in serving order (a few, for races with other servers)."""
    params = {**params, "limit": _CANDIDATES}
    if mode == "review":
        return _review_order(session, params, for_user=True)
    return list(session.scalars(_queue_pks(mode, for_user=True), params))


def _peek(session: Session, schema: Schema, mode: str, n: int, overlap: int) -> list[QueueItem]:
    params = {"skip": [], "limit": n, "overlap": overlap}
    if mode == "review":
        pks = _review_order(session, params, for_user=False)
    else:
        pks = list(session.scalars(_queue_pks(mode), params))
    return _queue_items(session, schema, pks, mode)


@functools.cache
def _shown_rows() -> Any:
    return (
        select(Item.pk, Item.item_id, Item.payload, Label.label, Label.confidence)
        .join(Label, Label.item_pk == Item.pk)
        .where(Item.pk.in_(bindparam("pks", expanding=True)))
    )


@functools.cache
def _machine_votes() -> Any:
    return (
        select(Source.kind, Source.name, Vote.label, Vote.score)
        .join(Source, Source.id == Vote.source_id)
        .where(Vote.item_pk == bindparam("pk"), _NOT_ABSTAIN, Source.kind.in_(("rule", "model")))
        .order_by(Vote.id.desc())
        .limit(50)
    )


def _queue_items(session: Session, schema: Schema, pks: list[int], mode: str) -> list[QueueItem]:
    """What a person may see of the items ``pks`` (in that order) served in ``mode``."""
    rows = {row.pk: row for row in session.execute(_shown_rows(), {"pks": pks})}
    out = []
    for pk in pks:
        row = rows[pk]
        served = QueueItem(item_id=row.item_id, payload=row.payload, mode=mode)
        if mode == "review":
            served.suggestion = schema.decode(row.label) if row.label != -1 else None
            served.confidence = row.confidence
            served.votes = [
                {"source": f"{kind}:{name}", "label": schema.decode(value), "score": score}
                for kind, name, value, score in session.execute(_machine_votes(), {"pk": pk})
            ]
        out.append(served)
    return out


@functools.cache
def _user_by_name() -> Any:
    return select(User.id).where(User.name == bindparam("name"))


def _user_id(session: Session, name: str) -> int:
    """The id of user ``name``; a user row is created for library/oracle use if missing."""
    user_id = session.scalar(_user_by_name(), {"name": name})
    if user_id is None:
        user = User(name=name, role="annotator", password_hash="!", active=True)
        session.add(user)
        session.flush()
        user_id = user.id
    return user_id


@functools.cache
def _source_by_name() -> Any:
    return select(Source.id).where(
        Source.kind == bindparam("kind"), Source.name == bindparam("name"), Source.version == "1"
    )


def _human_source(session: Session, user: str, kind: str) -> int:
    source_id = session.scalar(_source_by_name(), {"kind": kind, "name": user})
    if source_id is None:
        source = Source(kind=kind, name=user, version="1", definition={"user": user})
        session.add(source)
        session.flush()
        source_id = source.id
    return source_id


@functools.cache
def _lease_release() -> Any:
    return delete(Lease).where(
        Lease.item_pk == bindparam("item_pk"), Lease.user_id == bindparam("user_id")
    )


@functools.cache
def _label_update() -> Any:
    return (
        update(Label)
        .where(Label.item_pk == bindparam("b_item_pk"))
        .values(
            label=bindparam("b_label"),
            status=bindparam("b_status"),
            confidence=1.0,
            sources=bindparam("b_sources", type_=Label.sources.type),
            updated_at=bindparam("b_now"),
        )
    )


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
        session.execute(_lease_release(), {"item_pk": pk, "user_id": user_id})
        now = datetime.now(UTC)
        if value is None:
            details: dict[str, Any] = {"queue": queue}
            session.execute(insert(AuditLog), [_log(user, "skip", item_id, details, now)])
            return
        source_id = _human_source(session, user, "crowd" if queue == "crowd" else "human")
        vote = {"item_pk": pk, "source_id": source_id, "label": value, "queue": queue}
        session.execute(
            insert(Vote), [{**vote, "score": None, "round_id": None, "created_at": now}]
        )
        if queue != "crowd":
            _count_answer(session, queue)
            status = "gold" if queue == "audit" else "human"
            params = {"b_item_pk": pk, "b_label": value, "b_status": status, "b_now": now}
            session.execute(_label_update(), {**params, "b_sources": [source_id]})
        details = {"queue": queue, "label": value}
        session.execute(insert(AuditLog), [_log(user, "answer", item_id, details, now)])

    store.write(work)


def _log(
    actor: str, action: str, target: str, details: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {"actor": actor, "action": action, "target": target, "details": details, "at": at}


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
