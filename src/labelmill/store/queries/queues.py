"""The statements of the labeling queues: leases, serving order, answers and their counters.

These run on the hot path of the server (about ten small statements per next + answer
pair). Each shape of statement is built once, with bound parameters
(``functools.cache``), since building a SQLAlchemy statement costs more than running it on
an indexed table; only the parameter values change per request. Functions take a session
and never commit: the caller's transaction decides.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from labelmill.enums import Queue, Role, RoundState, SourceKind, Status
from labelmill.store.dialect import dialect_of, insert_for
from labelmill.store.models import (
    Assignment,
    AuditLog,
    Counter,
    Item,
    Label,
    Lease,
    Round,
    Served,
    Source,
    User,
    Vote,
)

__all__ = [
    "HUMAN_STATUSES",
    "REVIEWABLE",
    "add_person_vote",
    "answer_counts",
    "answered_slot",
    "any_open_assignment",
    "any_round_done",
    "assigned_candidates",
    "candidate_items",
    "finish_assignment",
    "reopen_assignment",
    "reveal",
    "revealed_at",
    "count_answer",
    "expire_leases",
    "free_crowd_slot",
    "held_leases",
    "keep_crowd_slot",
    "leased_to_another",
    "mark_skipped",
    "open_lease",
    "PersonSource",
    "PersonVote",
    "record_served",
    "served_mode",
    "lease_of",
    "log_action",
    "machine_votes",
    "peek_items",
    "person_source",
    "person_source_ids",
    "release_lease",
    "renew_lease",
    "set_person_label",
    "shown_rows",
    "take_lease",
    "user_id",
    "user_row",
]

HUMAN_STATUSES = (Status.HUMAN, Status.GOLD)
REVIEWABLE = (Status.REVIEW, Status.UNLABELED)  # the statuses the review queue serves
PEOPLE = (SourceKind.HUMAN, SourceKind.CROWD)
#: the one lease slot of the review and audit queues; crowd leases use 0..overlap-1, so a
#: crowd answer keeping its slot never blocks a review or a blind audit of the item
SOLO_SLOT = -1
_NOT_ABSTAIN = Vote.label != -1
_CANDIDATES = 16


# -- answer counters ---------------------------------------------------------------------
@functools.cache
def _answer_counts() -> Any:
    names = [f"answers:{q}" for q in (Queue.REVIEW, Queue.AUDIT)]
    return select(Counter.name, Counter.value).where(Counter.name.in_(names))


def answer_counts(session: Session) -> dict[str, int]:
    """People's answers so far per queue (``review``, ``audit``): running counts kept in
    the transaction of each answer, so this reads two rows instead of counting votes."""
    rows = session.execute(_answer_counts()).tuples().all()
    return {name.split(":", 1)[1]: int(value) for name, value in rows}


@functools.cache
def _counter_increment(dialect: str, insert_of: Any) -> Any:
    statement = insert_of(Counter)
    return statement.on_conflict_do_update(
        index_elements=["name"], set_={"value": Counter.value + statement.excluded.value}
    )


def count_answer(session: Session, queue: str, delta: int = 1) -> None:
    """Add ``delta`` (one answer, or -1 for a withdrawn one) to the count of people's answers
    in ``queue`` (an atomic upsert)."""
    statement = _counter_increment(dialect_of(session), insert_for(session))
    session.execute(statement, {"name": f"answers:{queue}", "value": delta})


@functools.cache
def _any_round_done() -> Any:
    return select(Round.id).where(Round.status == RoundState.DONE).limit(1)


def audit_request(session: Session) -> tuple[int, int, int] | None:
    """What the last finished round's auto-accept policy asked of the audit: (audit answers
    it had, people's labels it had, audit answers it needs more), or None when it asked for
    none."""
    from labelmill.store.queries.rounds import last_results

    results = last_results(session)
    more = int(results.get("n_more_audit_needed") or 0)
    if more <= 0:
        return None
    return int(results.get("n_audit") or 0), int(results.get("n_human") or 0), more


def any_round_done(session: Session) -> bool:
    """Whether a round has ever finished (a model exists)."""
    return session.scalar(_any_round_done()) is not None


# -- leases ------------------------------------------------------------------------------
@functools.cache
def _expired_leases() -> Any:
    return delete(Lease).where(Lease.expires_at < bindparam("now"), Lease.answered.is_(False))


def expire_leases(session: Session, now: datetime) -> None:
    """Delete every lease that expired before ``now``."""
    session.execute(_expired_leases(), {"now": now})


@functools.cache
def _lease_insert(dialect: str, insert_of: Any) -> Any:
    """INSERT of a lease (values bound at execution) that does nothing if the slot is taken."""
    return (
        insert_of(Lease)
        .on_conflict_do_nothing(index_elements=["item_pk", "slot"])
        .returning(Lease.id)
    )


def take_lease(
    session: Session, item_pk: int, user_id: int, queue: str, slots: int, expires: datetime
) -> bool:
    """Lease ``item_pk``: in the review and audit queues its one slot (:data:`SOLO_SLOT`), in
    the crowd queue its first free slot of ``0..slots-1``; False when taken. The unique
    ``(item, slot)`` key settles races between servers."""
    statement = _lease_insert(dialect_of(session), insert_for(session))
    numbers = range(slots) if queue == Queue.CROWD else (SOLO_SLOT,)
    for slot in numbers:
        params = {
            "item_pk": item_pk,
            "slot": slot,
            "user_id": user_id,
            "queue": queue,
            "expires_at": expires,
        }
        if session.scalar(statement, params) is not None:
            return True
    return False


@functools.cache
def _lease_renewal() -> Any:
    return (
        update(Lease)
        .where(Lease.item_pk == bindparam("b_item_pk"), Lease.user_id == bindparam("b_user_id"))
        .values(expires_at=bindparam("b_expires"))
    )


def renew_lease(session: Session, item_pk: int, user_id: int, expires: datetime) -> None:
    session.execute(
        _lease_renewal(), {"b_item_pk": item_pk, "b_user_id": user_id, "b_expires": expires}
    )


@functools.cache
def _lease_release() -> Any:
    return delete(Lease).where(
        Lease.item_pk == bindparam("item_pk"), Lease.user_id == bindparam("user_id")
    )


def release_lease(session: Session, item_pk: int, user_id: int) -> None:
    session.execute(_lease_release(), {"item_pk": item_pk, "user_id": user_id})


@functools.cache
def _lease_of() -> Any:
    return (
        select(Lease.queue)
        .join(User, User.id == Lease.user_id)
        .where(
            Lease.item_pk == bindparam("pk"),
            User.name == bindparam("user"),
            Lease.expires_at >= bindparam("now"),
            Lease.answered.is_(False),
        )
        .limit(1)
    )


def lease_of(session: Session, item_pk: int, user: str, now: datetime) -> str | None:
    """The queue of ``user``'s live lease on the item, if any."""
    found = session.scalar(_lease_of(), {"pk": item_pk, "user": user, "now": now})
    return None if found is None else str(found)


# -- serving order -----------------------------------------------------------------------
@functools.cache
def _queue_pks(
    mode: str, part: str = "all", *, for_user: bool = False, reserved: bool = False
) -> Any:
    """The pks of a queue's items in serving order, as a statement with bound parameters.

    The review order is ``priority DESC NULLS LAST, random_key DESC`` over the statuses
    ``review`` and ``unlabeled`` (items no round has ranked have ``random_key - 1`` from
    their import, so NULL is left only for rows written by hand). Asked in one piece, the
    database sorts the whole queue on every request (a second at a million items); so
    ``part`` asks for one status at a time (``:status``): the items with a priority
    (``"priority"``, an ordered walk of the index on ``(status, priority)``), or those
    without (``"rest"``), and :func:`_review_order` merges the parts. Those parts also
    return the sort keys.

    ``for_user`` leaves out items the user (``:sources``) answered, items leased to others
    in every slot of this queue (``:user_id``, ``:slots``), and items the user was shown in
    another mode
    or skipped (``served``: so a blind audit item was never seen with its suggestion by the
    person answering it). ``reserved`` also leaves out items assigned to other people and not
    done yet (only asked while any assignment is open). Always bound: ``:skip`` (pks already
    served in this call) and ``:limit``.
    """
    query = select(Item.pk).join(Label, Label.item_pk == Item.pk)
    if mode == Queue.REVIEW and part != "all":
        query = query.add_columns(Label.priority, Item.random_key)
        query = query.where(Label.status == bindparam("status"))
        if part == "priority":
            query = query.where(Label.priority.is_not(None))
            query = query.order_by(Label.priority.desc(), Item.random_key.desc())
        else:
            query = query.where(Label.priority.is_(None)).order_by(Item.random_key.desc())
    elif mode == Queue.REVIEW:
        query = query.where(Label.status.in_(REVIEWABLE))
        query = query.order_by(Label.priority.desc().nulls_last(), Item.random_key.desc())
    elif mode == Queue.AUDIT:
        query = query.where(Label.status.not_in(HUMAN_STATUSES)).order_by(Item.random_key)
    else:  # crowd: items with fewer than `overlap` crowd answers
        crowd_answers = (
            select(func.count())
            .select_from(Vote)
            .join(Source, Source.id == Vote.source_id)
            .where(Vote.item_pk == Item.pk, Source.kind == SourceKind.CROWD, _NOT_ABSTAIN)
            .scalar_subquery()
        )
        query = query.where(crowd_answers < bindparam("overlap"), Label.status != Status.GOLD)
        query = query.order_by(Item.random_key)
    if for_user:
        query = query.where(*_for_user_filters(mode))
    if reserved:
        query = query.where(~_assigned_to_others())
    return query.where(Item.pk.not_in(bindparam("skip", expanding=True))).limit(bindparam("limit"))


def _assigned_to_others() -> Any:
    return exists().where(
        Assignment.item_pk == Item.pk,
        Assignment.user_id != bindparam("user_id"),
        Assignment.done_at.is_(None),
    )


def _for_user_filters(mode: str) -> list[Any]:
    """What :func:`_queue_pks` leaves out for one user, as WHERE clauses over ``Item``."""
    answered = exists().where(
        Vote.item_pk == Item.pk,
        Vote.source_id.in_(bindparam("sources", expanding=True)),
        _NOT_ABSTAIN,
    )
    # Others' leases in this queue's slots: the one review/audit slot, or the crowd slots
    # (open or answered); the two kinds never block each other.
    in_slots = Lease.slot >= 0 if mode == Queue.CROWD else Lease.slot == SOLO_SLOT
    leased_by_others = (
        select(func.count())
        .select_from(Lease)
        .where(Lease.item_pk == Item.pk, Lease.user_id != bindparam("user_id"), in_slots)
        .scalar_subquery()
    )
    shown_otherwise = exists().where(
        Served.item_pk == Item.pk,
        Served.user_id == bindparam("user_id"),
        or_(Served.queue != mode, Served.skipped_at.is_not(None)),
    )
    return [~answered, leased_by_others < bindparam("slots"), ~shown_otherwise]


@functools.cache
def _assigned_pks(mode: str) -> Any:
    """The user's open assignments that ``mode`` may serve them, oldest assignment first."""
    query = (
        select(Item.pk)
        .join(Assignment, Assignment.item_pk == Item.pk)
        .join(Label, Label.item_pk == Item.pk)
        .where(Assignment.user_id == bindparam("user_id"), Assignment.done_at.is_(None))
    )
    if mode == Queue.REVIEW:
        query = query.where(Label.status.in_(REVIEWABLE))
    else:  # crowd: until the item has its answers
        crowd_answers = (
            select(func.count())
            .select_from(Vote)
            .join(Source, Source.id == Vote.source_id)
            .where(Vote.item_pk == Item.pk, Source.kind == SourceKind.CROWD, _NOT_ABSTAIN)
            .scalar_subquery()
        )
        query = query.where(crowd_answers < bindparam("overlap"), Label.status != Status.GOLD)
    query = query.where(*_for_user_filters(mode))
    query = query.where(Item.pk.not_in(bindparam("skip", expanding=True)))
    return query.order_by(Assignment.assigned_at, Item.pk).limit(bindparam("limit"))


def assigned_candidates(session: Session, mode: str, params: dict[str, Any]) -> list[int]:
    """The first pks of the items assigned to the user that ``mode`` may serve them now
    (``params`` as for :func:`candidate_items`). The audit queue has none: its sample
    stays random."""
    if mode == Queue.AUDIT:
        return []
    return list(session.scalars(_assigned_pks(mode), {**params, "limit": _CANDIDATES}))


@functools.cache
def _any_open_assignment() -> Any:
    return select(Assignment.item_pk).where(Assignment.done_at.is_(None)).limit(1)


def any_open_assignment(session: Session) -> bool:
    """Whether any item is assigned to someone who has not answered or skipped it yet."""
    return session.scalar(_any_open_assignment()) is not None


@functools.cache
def _finish_assignment() -> Any:
    return (
        update(Assignment)
        .where(
            Assignment.item_pk == bindparam("b_item_pk"),
            Assignment.user_id == bindparam("b_user_id"),
            Assignment.done_at.is_(None),
        )
        .values(done_at=bindparam("b_now"))
    )


def finish_assignment(session: Session, item_pk: int, user_id: int, now: datetime) -> None:
    """Mark the user's assignment of the item (if any) done: they answered or skipped it."""
    params = {"b_item_pk": item_pk, "b_user_id": user_id, "b_now": now}
    session.execute(_finish_assignment(), params)


def reopen_assignment(session: Session, item_pk: int, user_id: int) -> None:
    """The user withdrew their answer: their assignment of the item is open again."""
    session.execute(
        update(Assignment)
        .where(Assignment.item_pk == item_pk, Assignment.user_id == user_id)
        .values(done_at=None)
    )


def _review_order(
    session: Session, params: dict[str, Any], *, for_user: bool, reserved: bool = False
) -> list[int]:
    """The first ``:limit`` pks of the review queue in its order, from up to four index walks
    (see :func:`_queue_pks`)."""
    rows: list[Any] = []
    for part in ("priority", "rest"):
        for status in REVIEWABLE:
            statement = _queue_pks(Queue.REVIEW, part, for_user=for_user, reserved=reserved)
            rows += session.execute(statement, {**params, "status": status}).all()
        if len(rows) >= params["limit"]:  # items with a priority all come first
            break
    rows.sort(key=lambda r: (r.priority is None, -(r.priority or 0.0), -r.random_key))
    return [r.pk for r in rows[: params["limit"]]]


@functools.cache
def _held_leases() -> Any:
    return (
        select(Lease.item_pk, Lease.queue)
        .where(
            Lease.user_id == bindparam("user_id"),
            Lease.queue.in_(bindparam("queues", expanding=True)),
            Lease.answered.is_(False),
        )
        .order_by(Lease.id)
        .limit(bindparam("limit"))
    )


def held_leases(
    session: Session, user_id: int, queues: Sequence[str], limit: int
) -> list[tuple[int, str]]:
    """(item_pk, queue) of the open leases the user holds in ``queues``, oldest first: a
    page reload or a retry gets them back, each in the mode it was first served in."""
    params = {"user_id": user_id, "queues": list(queues), "limit": limit}
    return [(int(pk), str(q)) for pk, q in session.execute(_held_leases(), params)]


@functools.cache
def _served_insert(dialect: str, insert_of: Any) -> Any:
    return insert_of(Served).on_conflict_do_nothing(index_elements=["item_pk", "user_id"])


def record_served(session: Session, item_pk: int, user_id: int, queue: str, now: datetime) -> None:
    """Remember that the user was shown the item in ``queue`` (the first mode only)."""
    statement = _served_insert(dialect_of(session), insert_for(session))
    params = {"item_pk": item_pk, "user_id": user_id, "queue": queue, "first_at": now}
    session.execute(statement, params)


def served_mode(session: Session, item_pk: int, user_id: int) -> str | None:
    """The mode the user was first shown the item in, or None."""
    return session.scalar(
        select(Served.queue).where(Served.item_pk == item_pk, Served.user_id == user_id)
    )


def mark_skipped(
    session: Session, item_pk: int, user_id: int, queue: str, reason: str | None, now: datetime
) -> None:
    """Record the user's skip: the item is not served to them again."""
    record_served(session, item_pk, user_id, queue, now)
    session.execute(
        update(Served)
        .where(Served.item_pk == item_pk, Served.user_id == user_id)
        .values(skipped_at=now, skip_reason=reason)
    )


def reveal(session: Session, item_pk: int, user_id: int, now: datetime) -> None:
    """Remember that the user saw the item's suggestion and votes outside the queues (the
    item browser): it is then never served to them blind, and a blind answer of theirs on
    it is not changed afterwards."""
    record_served(session, item_pk, user_id, Queue.REVIEW, now)
    session.execute(
        update(Served)
        .where(Served.item_pk == item_pk, Served.user_id == user_id, Served.revealed_at.is_(None))
        .values(revealed_at=now)
    )


def revealed_at(session: Session, item_pk: int, user_id: int) -> datetime | None:
    """When the user saw the item's suggestion outside the queues, if ever."""
    return session.scalar(
        select(Served.revealed_at).where(Served.item_pk == item_pk, Served.user_id == user_id)
    )


@functools.cache
def _open_lease() -> Any:
    return select(Lease.queue, Lease.slot).where(
        Lease.item_pk == bindparam("pk"),
        Lease.user_id == bindparam("user_id"),
        Lease.expires_at >= bindparam("now"),
        Lease.answered.is_(False),
    )


def open_lease(
    session: Session, item_pk: int, user_id: int, now: datetime
) -> tuple[str, int] | None:
    """(queue, slot) of the user's live open lease on the item, or None."""
    params = {"pk": item_pk, "user_id": user_id, "now": now}
    row = session.execute(_open_lease(), params).first()
    return None if row is None else (str(row[0]), int(row[1]))


def leased_to_another(session: Session, item_pk: int, user_id: int, now: datetime) -> str | None:
    """The name of someone else holding a live review/audit lease on the item, if any."""
    return session.scalar(
        select(User.name)
        .join(Lease, Lease.user_id == User.id)
        .where(
            Lease.item_pk == item_pk,
            Lease.user_id != user_id,
            Lease.expires_at >= now,
            Lease.answered.is_(False),
            Lease.queue != Queue.CROWD,
        )
        .limit(1)
    )


def keep_crowd_slot(session: Session, item_pk: int, user_id: int) -> None:
    """Turn the user's crowd lease on the item into an answered slot (never expires)."""
    session.execute(
        update(Lease)
        .where(Lease.item_pk == item_pk, Lease.user_id == user_id)
        .values(answered=True)
    )


def answered_slot(session: Session, item_pk: int, user_id: int) -> bool:
    """Whether the user holds an answered crowd slot of the item (their answer counts)."""
    found = session.scalar(
        select(Lease.id).where(
            Lease.item_pk == item_pk, Lease.user_id == user_id, Lease.answered.is_(True)
        )
    )
    return found is not None


def free_crowd_slot(session: Session, item_pk: int, user_id: int) -> int:
    """Give back the slot of a withdrawn crowd answer; returns its number (0 if none)."""
    slot = session.scalar(
        delete(Lease)
        .where(Lease.item_pk == item_pk, Lease.user_id == user_id, Lease.answered.is_(True))
        .returning(Lease.slot)
    )
    return int(slot or 0)


def candidate_items(
    session: Session, mode: str, params: dict[str, Any], *, reserved: bool = False
) -> list[int]:
    """The first pks of a user's queue in serving order (a few, for races with other servers).

    ``params``: ``user_id``, ``sources`` (the user's source ids), ``slots``, ``overlap`` and
    ``skip`` (pks already served in this call). ``reserved``: leave out items assigned to
    other people (the audit queue never does: its sample stays random).
    """
    params = {**params, "limit": _CANDIDATES}
    reserved = reserved and mode != Queue.AUDIT
    if mode == Queue.REVIEW:
        return _review_order(session, params, for_user=True, reserved=reserved)
    return list(session.scalars(_queue_pks(mode, for_user=True, reserved=reserved), params))


def peek_items(session: Session, mode: str, n: int, overlap: int) -> list[int]:
    """The first ``n`` pks of a queue in serving order, for nobody in particular."""
    params: dict[str, Any] = {"skip": [], "limit": n, "overlap": overlap}
    if mode == Queue.REVIEW:
        return _review_order(session, params, for_user=False)
    return list(session.scalars(_queue_pks(mode), params))


# -- what a person sees ------------------------------------------------------------------
@functools.cache
def _shown_rows() -> Any:
    return (
        select(
            Item.pk,
            Item.item_id,
            Item.payload,
            Label.label,
            Label.confidence,
            Label.posterior,
            Label.round_id,
            Label.status,
        )
        .join(Label, Label.item_pk == Item.pk)
        .where(Item.pk.in_(bindparam("pks", expanding=True)))
    )


def shown_rows(session: Session, pks: Sequence[int]) -> dict[int, Any]:
    """pk -> row (pk, item_id, payload, label, confidence, posterior, round_id, status) of
    the items ``pks``."""
    return {row.pk: row for row in session.execute(_shown_rows(), {"pks": list(pks)})}


@functools.cache
def _machine_votes() -> Any:
    return (
        select(Source.kind, Source.name, Vote.label, Vote.score)
        .join(Source, Source.id == Vote.source_id)
        .where(
            Vote.item_pk == bindparam("pk"),
            _NOT_ABSTAIN,
            Source.kind.in_((SourceKind.RULE, SourceKind.MODEL)),
        )
        .order_by(Vote.id.desc())
        .limit(50)
    )


def machine_votes(session: Session, pk: int) -> list[tuple[str, str, int, float | None]]:
    """(kind, name, label, score) of the latest rule and model votes on an item."""
    return [tuple(r) for r in session.execute(_machine_votes(), {"pk": pk})]  # type: ignore[misc]


# -- people and their answers ------------------------------------------------------------
@functools.cache
def _user_by_name() -> Any:
    return select(User.id, User.role).where(User.name == bindparam("name"))


def user_id(session: Session, name: str) -> int:
    """The id of user ``name`` (see :func:`user_row`)."""
    return user_row(session, name)[0]


def user_row(session: Session, name: str) -> tuple[int, str]:
    """(id, role) of user ``name``. A user the library or a simulation names for the first
    time gets a row without a password (it cannot log in) and the role ``reviewer``: whoever
    holds the project itself is trusted to answer audits."""
    found = session.execute(_user_by_name(), {"name": name}).first()
    if found is not None:
        return int(found[0]), str(found[1])
    user = User(name=name, role=Role.REVIEWER, password_hash="!", active=True)
    session.add(user)
    session.flush()
    return user.id, user.role


@functools.cache
def _people_sources() -> Any:
    name = select(User.name).where(User.id == bindparam("user_id")).scalar_subquery()
    return select(Source.id).where(Source.kind.in_(PEOPLE), Source.name == name)


def person_source_ids(session: Session, user_id: int) -> list[int]:
    """The source ids under which user ``user_id`` answers (review/audit and crowd)."""
    return list(session.scalars(_people_sources(), {"user_id": user_id}))


@functools.cache
def _source_by_name() -> Any:
    return select(Source.id).where(
        Source.kind == bindparam("kind"), Source.name == bindparam("name"), Source.version == "1"
    )


def person_source(session: Session, user: str, kind: str) -> int:
    """The source id of ``user``'s answers of ``kind`` (human or crowd), created if new."""
    found = session.scalar(_source_by_name(), {"kind": kind, "name": user})
    if found is not None:
        return int(found)
    source = Source(kind=kind, name=user, version="1", definition={"user": user})
    session.add(source)
    session.flush()
    return source.id


def add_person_vote(
    session: Session, item_pk: int, source_id: int, label: int, queue: str, now: datetime
) -> None:
    """Append a person's vote (``label`` -1 withdraws their earlier answer)."""
    session.execute(
        insert(Vote),
        [
            {
                "item_pk": item_pk,
                "source_id": source_id,
                "label": label,
                "queue": queue,
                "score": None,
                "round_id": None,
                "created_at": now,
            }
        ],
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


def set_person_label(
    session: Session, item_pk: int, label: int, status: str, source_id: int, now: datetime
) -> None:
    """Make a person's answer the item's current label (status ``human`` or ``gold``)."""
    params = {"b_item_pk": item_pk, "b_label": label, "b_status": status, "b_now": now}
    session.execute(_label_update(), {**params, "b_sources": [source_id]})


class PersonVote(NamedTuple):
    """A person's vote as the answer path reads it."""

    id: int
    label: int
    queue: str | None
    created_at: datetime | None


class PersonSource(NamedTuple):
    id: int
    kind: str


@functools.cache
def _last_person_vote() -> Any:
    return (
        select(Vote.id, Vote.label, Vote.queue, Vote.created_at, Source.id, Source.kind)
        .join(Source, Source.id == Vote.source_id)
        .where(
            Vote.item_pk == bindparam("pk"),
            Source.name == bindparam("user"),
            Source.kind.in_(PEOPLE),
        )
        .order_by(Vote.id.desc())
        .limit(1)
    )


def last_person_vote(
    session: Session, item_pk: int, user: str
) -> tuple[PersonVote, PersonSource] | None:
    """``user``'s latest vote on the item (an answer, or the abstain of an undo), and the
    source it was cast under."""
    row = session.execute(_last_person_vote(), {"pk": item_pk, "user": user}).first()
    if row is None:
        return None
    vid, label, queue, at, source_id, kind = row
    return PersonVote(int(vid), int(label), queue, at), PersonSource(int(source_id), str(kind))


def log_action(
    session: Session,
    actor: str,
    action: str,
    target: str | None,
    details: dict[str, Any] | None,
    at: datetime | None = None,
) -> None:
    """Append one row to the audit log."""
    row: dict[str, Any] = {"actor": actor, "action": action, "target": target, "details": details}
    if at is not None:
        row["at"] = at
    session.execute(insert(AuditLog), [row])
