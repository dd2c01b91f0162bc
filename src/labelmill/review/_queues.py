"""Serving items to people: the review, audit and crowd queues.

Three queues (:class:`~labelmill.enums.Queue`):

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

An item handed to someone is leased so that nobody else is served it until the lease
expires or the answer arrives. Items assigned to named people (``assignments``) come first
in their review and crowd queues, and those queues serve them to nobody else until the
assignees answered or skipped them; the audit queue ignores assignments (its sample stays
random). The statements live in :mod:`labelmill.store.queries.queues`.

Blind means blind. *Blind* is a property of an answer: the person giving it never saw the
machine's suggestion or votes for that item. So a lease belongs to one queue, and a page
reload or retry serves the person's held lease again in that same mode; a person is never
shown an item in a second mode (``served`` remembers the first); and only a live audit
lease (or re-answering one's own withdrawn audit answer) records an answer as a blind audit
(:func:`labelmill.review.add_answer`). Audits are answered by reviewers and admins: an
annotator's review queue mixes in no audit items, and the audit queue refuses annotators.
The audit sample stays the random-key order over items nobody has answered; that other
people saw an item with its suggestion does not make one person's blind answer less blind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from labelmill.enums import Queue, Role
from labelmill.exceptions import AuthError, ConfigError
from labelmill.schema import Schema
from labelmill.store import Store
from labelmill.store.queries import queues as sql

__all__ = ["QueueItem", "audit_quota", "card", "check_queue", "may_audit", "next_items"]

#: which held leases a request for a queue gives back (review pages show audit items too)
_HELD_FOR = {
    Queue.REVIEW: (Queue.REVIEW, Queue.AUDIT),
    Queue.AUDIT: (Queue.AUDIT,),
    Queue.CROWD: (Queue.CROWD,),
}


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
    #: the end model's own vote (review mode, after a round): label, probability, round
    model: dict[str, Any] | None = None


def check_queue(queue: Any) -> Queue:
    """``queue`` as a :class:`Queue`, or a :class:`ConfigError` naming the choices."""
    try:
        return Queue(queue)
    except ValueError:
        names = ", ".join(q.value for q in Queue)
        raise ConfigError(f"The queue must be one of {names}. Got {queue!r} instead.") from None


def may_audit(role: str) -> bool:
    """Whether a person of ``role`` answers blind audits (whose answers become gold)."""
    return role in (Role.ADMIN, Role.REVIEWER)


_CATCH_UP = 0.5  # share of answers the audit takes while the policy asks for more


def audit_quota(session: Session, n: int, *, minimum: int, fraction: float) -> int:
    """How many of the next ``n`` review items should come from the audit sample: enough to
    reach ``minimum`` audit answers first, then ``fraction`` of all answers. Before any round
    has produced a model, only ``fraction``: audit answers cannot train the first model.

    When the last round's auto-accept policy needs more audit answers for its next test
    (``n_more_audit_needed``), half of the answers since that round go to the audit until it
    has them (at ``fraction`` alone a spent test could wait hundreds of answers for the
    next: the audit sat at its minimum while the policy asked for more)."""
    answers = sql.answer_counts(session)
    audited = answers.get(Queue.AUDIT, 0)
    total = sum(answers.values())
    if not sql.any_round_done(session):
        minimum = 0
    wanted = max(minimum - audited, math.ceil(fraction * (total + n)) - audited)
    request = sql.audit_request(session)
    if request is not None:
        had, labels, more = request
        since = max(total + n - had - labels, 0)
        catch_up = min(had + more, had + math.ceil(_CATCH_UP * since)) - audited
        wanted = max(wanted, catch_up)
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
    audit_fraction: float = 0.3,
) -> list[QueueItem]:
    """Serve up to ``n`` items of ``queue``, leasing them to ``user`` when one is given.

    Items leased to someone else, items ``user`` already answered, skipped, or was shown in
    another mode are left out. Items ``user`` already holds come first, each in the mode it
    was served in. Returns fewer than ``n`` (possibly none) when the queue runs dry.

    Raises
    ------
    AuthError
        An annotator asks for the audit queue (audits are for reviewers and admins).
    """
    mode_asked = check_queue(queue)
    if n < 1:
        raise ConfigError(f"The number of items to serve must be at least 1. Got {n} instead.")

    def work(session: Session) -> list[QueueItem]:
        now = datetime.now(UTC)
        sql.expire_leases(session, now)
        if user is None:  # no leases: a plain ordered list
            pks = sql.peek_items(session, mode_asked, n, overlap)
            return _queue_items(session, schema, pks, mode_asked)
        user_id, role = sql.user_row(session, user)
        if mode_asked == Queue.AUDIT and not may_audit(role):
            raise AuthError(
                f"The audit queue is answered by reviewers and admins; {user} is {role}."
            )
        server = _Server(session, schema, user_id, now, lease_seconds, overlap)
        served = server.held(_HELD_FOR[mode_asked], n)
        n_audit = 0
        if mode_asked == Queue.REVIEW and may_audit(role) and len(served) < n:
            n_audit = audit_quota(
                session, n - len(served), minimum=audit_minimum, fraction=audit_fraction
            )
            n_audit += len(served)
        while len(served) < n:
            mode = Queue.AUDIT if len(served) < n_audit else mode_asked
            got = server.serve_one(mode)
            if got is None and mode == Queue.AUDIT and mode_asked == Queue.REVIEW:
                got = server.serve_one(Queue.REVIEW)
            if got is None:
                break
            served.append(got)
        return served

    return store.write(work)


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
        self.now, self.expires = now, now + timedelta(seconds=lease_seconds)
        self.sources = sql.person_source_ids(session, user_id)
        self.served: list[int] = []
        self.reserved = sql.any_open_assignment(session)

    def held(self, queues: tuple[Queue, ...], n: int) -> list[QueueItem]:
        """The items this user already holds (a page reload, a retry), renewed, each in the
        mode of its lease."""
        out = []
        for pk, queue in sql.held_leases(self.session, self.user_id, queues, n):
            sql.renew_lease(self.session, pk, self.user_id, self.expires)
            out.append(self._item(pk, Queue(queue)))
        return out

    def serve_one(self, mode: Queue) -> QueueItem | None:
        slots = self.overlap if mode == Queue.CROWD else 1
        params = {
            "user_id": self.user_id,
            "sources": self.sources,
            "slots": slots,
            "overlap": self.overlap,
            "skip": self.served,
        }
        mine = sql.assigned_candidates(self.session, mode, params) if self.reserved else []
        others = sql.candidate_items(self.session, mode, params, reserved=self.reserved)
        for pk in [*mine, *others]:
            if sql.take_lease(self.session, pk, self.user_id, mode, slots, self.expires):
                sql.record_served(self.session, pk, self.user_id, mode, self.now)
                return self._item(pk, mode)
        return None

    def _item(self, pk: int, mode: Queue) -> QueueItem:
        self.served.append(pk)
        served = _queue_items(self.session, self.schema, [pk], mode)[0]
        served.lease_expires_at = self.expires
        return served


def _queue_items(session: Session, schema: Schema, pks: list[int], mode: Queue) -> list[QueueItem]:
    """What a person may see of the items ``pks`` (in that order) served in ``mode``."""
    rows = sql.shown_rows(session, pks)
    out = []
    for pk in pks:
        row = rows[pk]
        served = QueueItem(item_id=row.item_id, payload=row.payload, mode=mode.value)
        if mode == Queue.REVIEW:
            served.suggestion = schema.decode(row.label) if row.label != -1 else None
            served.confidence = row.confidence
            served.votes = [
                {"source": f"{kind}:{name}", "label": schema.decode(value), "score": score}
                for kind, name, value, score in sql.machine_votes(session, pk)
            ]
            served.model = _model_vote(schema, row)
        out.append(served)
    return out


def _model_vote(schema: Schema, row: Any) -> dict[str, Any] | None:
    """The end model's own vote on an item, from the round that labeled it: its class and
    probability (the same calibrated one as the confidence shown). None before any round,
    and for items a person labeled (their label is no longer the model's)."""
    posterior = row.posterior
    if row.round_id is None or not posterior or schema.multilabel:
        return None
    best = max(range(len(posterior)), key=posterior.__getitem__)
    return {
        "label": schema.decode(best),
        "probability": float(posterior[best]),
        "round": int(row.round_id),
    }


def card(
    store: Store,
    schema: Schema,
    item_id: str,
    *,
    user: str,
    mode: str,
    lease_seconds: float = 600.0,
) -> QueueItem:
    """An item as ``user`` may see it in ``mode`` (their answer's queue, when they come back
    to it): with its suggestion, votes and the model's vote in ``review``, blind otherwise.
    A lease of theirs on it is renewed; none is taken (changing one's own answer needs none).

    Raises
    ------
    NotFoundError
        No such item.
    """
    from labelmill.store.queries import items as item_sql

    queue = check_queue(mode)

    def work(session: Session) -> QueueItem:
        now = datetime.now(UTC)
        pk = item_sql.item_pk(session, item_id)
        user_id, _role = sql.user_row(session, user)
        expires = now + timedelta(seconds=lease_seconds)
        if sql.open_lease(session, pk, user_id, now) is not None:
            sql.renew_lease(session, pk, user_id, expires)
        shown = _queue_items(session, schema, [pk], queue)[0]
        shown.lease_expires_at = expires
        return shown

    return store.write(work)
