"""People's answers: one committed transaction each, appended as votes, withdrawn by undo."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from labelmill.enums import Queue, SourceKind, Status
from labelmill.exceptions import NotFoundError
from labelmill.review._queues import check_queue
from labelmill.schema import Schema
from labelmill.store import Label, Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import queues as sql

__all__ = ["add_answer", "undo_answer"]


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
    mode = check_queue(queue)
    value = None if skip else schema.encode(label)

    def work(session: Session) -> None:
        pk = item_sql.item_pk(session, item_id)
        user_id = sql.user_id(session, user)
        sql.release_lease(session, pk, user_id)
        now = datetime.now(UTC)
        if value is None:
            sql.log_action(session, user, "skip", item_id, {"queue": mode.value}, now)
            return
        kind = SourceKind.CROWD if mode == Queue.CROWD else SourceKind.HUMAN
        source_id = sql.person_source(session, user, kind)
        sql.add_person_vote(session, pk, source_id, value, mode, now)
        if mode != Queue.CROWD:
            sql.count_answer(session, mode)
            status = Status.GOLD if mode == Queue.AUDIT else Status.HUMAN
            sql.set_person_label(session, pk, value, status, source_id, now)
        sql.log_action(session, user, "answer", item_id, {"queue": mode.value, "label": value}, now)

    store.write(work)


def undo_answer(store: Store, schema: Schema, item_id: str, *, user: str) -> None:
    """Withdraw ``user``'s latest answer on ``item_id`` (a superseding abstain vote).

    The item goes back to the machine's label from the last round (status ``review``), or
    to ``unlabeled`` when no round has labeled it.
    """

    def work(session: Session) -> None:
        pk = item_sql.item_pk(session, item_id)
        last = sql.last_person_vote(session, pk, user)
        if last is None or last[0].label == -1:
            raise NotFoundError(f"{user} has no answer on item {item_id!r} to undo.")
        vote, source = last
        now = datetime.now(UTC)
        sql.add_person_vote(session, pk, source.id, -1, vote.queue or Queue.REVIEW, now)
        row = item_sql.label_row(session, pk)
        if row is not None and source.kind == SourceKind.HUMAN:
            _machine_label_again(row)
        sql.log_action(session, user, "undo", item_id, {"vote": vote.id}, now)

    store.write(work)


def _machine_label_again(row: Label) -> None:
    posterior = row.posterior
    if posterior:
        row.label = int(max(range(len(posterior)), key=posterior.__getitem__))
        row.status, row.confidence = Status.REVIEW, max(posterior)
    else:
        row.label, row.status, row.confidence = -1, Status.UNLABELED, None
    row.sources = None
