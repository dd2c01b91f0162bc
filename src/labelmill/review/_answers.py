"""People's answers: one committed transaction each, appended as votes, withdrawn by undo,
changed by answering again (in the queue of the first answer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from labelmill.enums import Queue, SourceKind, Status
from labelmill.exceptions import ConfigError, NotFoundError
from labelmill.review._queues import check_queue
from labelmill.schema import Schema
from labelmill.store import Label, Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import queues as sql

__all__ = ["add_answer", "decide", "undo_answer"]

_QUEUES = tuple(q.value for q in Queue)


def add_answer(
    store: Store,
    schema: Schema,
    item_id: str,
    label: Any,
    *,
    user: str,
    queue: str = "review",
    skip: bool = False,
    skip_reason: str | None = None,
    overlap: int = 3,
) -> str:
    """Record one person's answer on an item, in one transaction; returns the queue it was
    recorded in.

    ``label`` is a class name (a list of names for multi-label). The answer belongs to the
    queue the item was served to the person in (their lease); ``queue`` only matters when
    they hold none. In ``review`` the item becomes ``human``; in ``audit`` it becomes
    ``gold`` (a blind, random check); in ``crowd`` the answer is a vote of the worker's
    source (keeping its slot, so answers plus open leases never exceed ``overlap``) and the
    item's label waits for the aggregator. ``skip=True`` records the skip (with an optional
    reason) and never serves the item to that person again.

    Raises
    ------
    NotFoundError
        No such item.
    ConfigError
        A blind audit answer without an audit lease (the person may have seen the
        suggestion), an item someone else is labeling, or a crowd item that already has
        its ``overlap`` answers.
    """
    requested = check_queue(queue)
    value = None if skip else schema.encode(label)

    def work(session: Session) -> str:
        now = datetime.now(UTC)
        pk = item_sql.item_pk(session, item_id)
        user_id, _role = sql.user_row(session, user)
        lease = sql.open_lease(session, pk, user_id, now)
        # With a lease the item was served to them: no earlier answer of theirs to change.
        last = None if lease is not None else sql.last_person_vote(session, pk, user)
        mode = _answer_mode(session, item_id, pk, user, user_id, requested, lease, last, now)
        sql.finish_assignment(session, pk, user_id, now)
        if value is None:
            sql.mark_skipped(session, pk, user_id, mode, skip_reason, now)
            sql.release_lease(session, pk, user_id)
            details = {"queue": mode.value, "reason": skip_reason}
            sql.log_action(session, user, "skip", item_id, details, now)
            return mode.value
        if mode == Queue.CROWD:
            _hold_crowd_slot(session, item_id, pk, user_id, overlap, now)
        else:
            sql.release_lease(session, pk, user_id)
        kind = SourceKind.CROWD if mode == Queue.CROWD else SourceKind.HUMAN
        source_id = sql.person_source(session, user, kind)
        sql.add_person_vote(session, pk, source_id, value, mode, now)
        changed = last is not None and last[0].label != -1
        if mode != Queue.CROWD:
            if not changed:  # a changed answer is still one answer
                sql.count_answer(session, mode)
            status = Status.GOLD if mode == Queue.AUDIT else Status.HUMAN
            sql.set_person_label(session, pk, value, status, source_id, now)
        action = "answer.change" if changed else "answer"
        sql.log_action(session, user, action, item_id, {"queue": mode.value, "label": value}, now)
        return mode.value

    return store.write(work)


def _answer_mode(
    session: Session,
    item_id: str,
    pk: int,
    user: str,
    user_id: int,
    requested: Queue,
    lease: tuple[str, int] | None,
    last: Any,
    now: datetime,
) -> Queue:
    """The queue an answer belongs to: the person's lease; else the queue of their own
    earlier answer on the item (changing it, or answering again after an undo); else
    ``requested`` (never a blind audit, and never an item someone else is labeling)."""
    if lease is not None:
        return Queue(lease[0])
    if last is not None and last[0].queue in _QUEUES:
        mode = Queue(last[0].queue)
        revealed = sql.revealed_at(session, pk, user_id)
        if mode == Queue.AUDIT and revealed is not None and _after(revealed, last[0].created_at):
            raise ConfigError(
                f"{user} saw the suggestion for item {item_id!r} (item browser) after their "
                "blind audit answer, so that answer can no longer be changed; another reviewer "
                "can decide on the item instead."
            )
        return mode
    if requested == Queue.AUDIT:
        raise ConfigError(
            f"{user} holds no audit lease on item {item_id!r}: a blind audit answer must come "
            "from the audit queue (the item served without its suggestion). Get it with "
            "next_items(queue='audit') or GET /api/items/next?queue=audit."
        )
    if requested != Queue.CROWD:
        holder = sql.leased_to_another(session, pk, user_id, now)
        if holder is not None:
            raise ConfigError(
                f"Item {item_id!r} is being labeled by {holder} (it is leased to them); "
                "answer the items served to you."
            )
    return requested


def _after(moment: datetime, than: datetime | None) -> bool:
    if than is None:
        return True
    aware = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in (moment, than)]
    return aware[0] >= aware[1]


def _hold_crowd_slot(
    session: Session, item_id: str, pk: int, user_id: int, overlap: int, now: datetime
) -> None:
    """Keep the worker's crowd slot for their answer, taking one if they hold none (a
    changed answer keeps the slot it has)."""
    if sql.answered_slot(session, pk, user_id):
        return
    if sql.open_lease(session, pk, user_id, now) is None:
        far = now + timedelta(days=36500)
        if not sql.take_lease(session, pk, user_id, Queue.CROWD, overlap, far):
            raise ConfigError(
                f"Item {item_id!r} already has its {overlap} crowd answers (or open leases); "
                "answer the items the crowd queue serves you."
            )
    sql.keep_crowd_slot(session, pk, user_id)


def undo_answer(
    store: Store, schema: Schema, item_id: str, *, user: str, lease_seconds: float = 600.0
) -> str:
    """Withdraw ``user``'s latest answer on ``item_id`` (a superseding abstain vote); returns
    the queue it was given in.

    The item goes back to the machine's label from the last round (status ``review``), or
    to ``unlabeled`` when no round has labeled it, and is leased to ``user`` again in that
    queue (when nobody else holds it), so the card they go back to is theirs to answer.

    Raises
    ------
    NotFoundError
        ``user`` has no answer on the item to withdraw.
    """

    def work(session: Session) -> str:
        pk = item_sql.item_pk(session, item_id)
        last = sql.last_person_vote(session, pk, user)
        if last is None or last[0].label == -1:
            raise NotFoundError(f"{user} has no answer on item {item_id!r} to undo.")
        vote, source = last
        now = datetime.now(UTC)
        queue = Queue(vote.queue) if vote.queue in _QUEUES else Queue.REVIEW
        sql.add_person_vote(session, pk, source.id, -1, queue, now)
        user_id = sql.user_id(session, user)
        row = item_sql.label_row(session, pk)
        if row is not None and source.kind == SourceKind.HUMAN:
            _machine_label_again(row)
        slots = 1
        if source.kind == SourceKind.CROWD:  # the freed slot (or a lower free one) is theirs
            slots = sql.free_crowd_slot(session, pk, user_id) + 1
        else:
            sql.count_answer(session, queue, -1)
        expires = now + timedelta(seconds=lease_seconds)
        sql.take_lease(session, pk, user_id, queue, slots, expires)
        sql.reopen_assignment(session, pk, user_id)
        sql.log_action(session, user, "undo", item_id, {"vote": vote.id}, now)
        return queue.value

    return store.write(work)


def decide(store: Store, schema: Schema, item_id: str, label: Any, *, user: str) -> str:
    """Record a reviewer's decision on an item (adjudication): accepting one of the answers
    people gave, or overriding them, or settling a crowd disagreement. The decision is a vote
    like any other: a ``review`` answer of the reviewer's own source, which makes the item
    ``human``; the other answers stay as they were (provenance). Returns the label decided.

    Raises
    ------
    NotFoundError
        No such item.
    ConfigError
        The item is ``gold`` (a blind audit answer or imported truth: it stays as it is, so
        the accuracy estimate stays unbiased), someone else is labeling it right now, or the
        reviewer holds it for a blind audit.
    """
    value = schema.encode(label)

    def work(session: Session) -> str:
        now = datetime.now(UTC)
        pk = item_sql.item_pk(session, item_id)
        row = item_sql.label_row(session, pk)
        if row is not None and row.status == Status.GOLD:
            raise ConfigError(
                f"Item {item_id!r} is gold (a blind audit answer or imported truth); its label "
                "stays as given so the accuracy estimate stays unbiased."
            )
        user_id, _role = sql.user_row(session, user)
        lease = sql.open_lease(session, pk, user_id, now)
        if lease is not None and lease[0] == Queue.AUDIT:
            raise ConfigError(
                f"{user} holds item {item_id!r} for a blind audit; answer it in the audit "
                "queue instead of deciding on it."
            )
        holder = sql.leased_to_another(session, pk, user_id, now)
        if holder is not None:
            raise ConfigError(
                f"Item {item_id!r} is being labeled by {holder} right now; decide once they "
                "answered or skipped it."
            )
        sql.reveal(session, pk, user_id, now)
        sql.release_lease(session, pk, user_id)
        sql.finish_assignment(session, pk, user_id, now)
        source_id = sql.person_source(session, user, SourceKind.HUMAN)
        last = sql.last_person_vote(session, pk, user)
        had_review_answer = (
            last is not None
            and last[1].kind == SourceKind.HUMAN
            and last[0].label != -1
            and last[0].queue == Queue.REVIEW
        )
        sql.add_person_vote(session, pk, source_id, value, Queue.REVIEW, now)
        if not had_review_answer:
            sql.count_answer(session, Queue.REVIEW)
        sql.set_person_label(session, pk, value, Status.HUMAN, source_id, now)
        sql.log_action(session, user, "decide", item_id, {"label": value}, now)
        decided = schema.decode(value)
        return ", ".join(decided) if isinstance(decided, list) else str(decided)

    return store.write(work)


def _machine_label_again(row: Label) -> None:
    posterior = row.posterior
    if posterior:
        row.label = int(max(range(len(posterior)), key=posterior.__getitem__))
        row.status, row.confidence = Status.REVIEW, max(posterior)
    else:
        row.label, row.status, row.confidence = -1, Status.UNLABELED, None
    row.sources = None
