"""The item browser of reviewers and admins: search and filter every item, open one and see
who answered what; and adjudication, a reviewer's decision recorded as a vote like any other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from labelmill.enums import Status
from labelmill.exceptions import ConfigError
from labelmill.review._progress import snippet
from labelmill.schema import Schema
from labelmill.store import Store
from labelmill.store.queries import browse as sql
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import queues as queue_sql
from labelmill.store.queries import team as team_sql

__all__ = ["ItemFilter", "browse", "browse_options", "item_record", "match_pks", "reveal"]

MAX_PAGE = 200


@dataclass(frozen=True)
class ItemFilter:
    """What the item browser shows: every field optional, all of them must hold.

    Parameters
    ----------
    text : str, optional
        Part of the item's content or id (case-insensitive).
    statuses : tuple of str
        Label statuses (``unlabeled``, ``auto``, ``review``, ``human``, ``gold``).
    label : str, optional
        The item's current label (a class name).
    min_confidence, max_confidence : float, optional
        Bounds of the shown confidence.
    rule : str, optional
        A rule that voted on the item (not abstained).
    person : str, optional
        A person who answered the item.
    disagreement : bool
        Only items where people's answers differ.
    skipped, commented : bool
        Only items somebody skipped / commented on.
    assigned_to : str, optional
        Only items assigned to this person.
    """

    text: str | None = None
    statuses: tuple[str, ...] = ()
    label: str | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    rule: str | None = None
    person: str | None = None
    disagreement: bool = False
    skipped: bool = False
    commented: bool = False
    assigned_to: str | None = None

    def resolved(self, schema: Schema) -> dict[str, Any]:
        """The filter as the query layer takes it (class names as indices), checked."""
        known = {s.value for s in Status}
        bad = [s for s in self.statuses if s not in known]
        if bad:
            raise ConfigError(
                f"Unknown status {bad[0]!r} in the filter; expected some of {sorted(known)}."
            )
        for name in ("min_confidence", "max_confidence"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ConfigError(f"The filter's {name} must be in [0, 1]. Got {value}.")
        out = asdict(self)
        out["label"] = schema.encode(self.label) if self.label else None
        return out


def browse(
    store: Store, schema: Schema, flt: ItemFilter, *, after: int = 0, limit: int = 50
) -> dict[str, Any]:
    """A page of the items matching ``flt`` in import order, after the item of internal key
    ``after`` (``next`` continues from the page's end; None at the end), with how many
    match (counted up to 10,001)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ConfigError(f"A page holds 1-{MAX_PAGE} items. Got {limit}.")
    filters = flt.resolved(schema)
    with store.session() as session:
        rows = sql.page(session, filters, after, limit)
        pks = [r[0] for r in rows]
        votes = sql.people_votes_of(session, pks)
        comments = sql.comment_counts(session, pks)
        skips = sql.skip_counts_of(session, pks)
        total = sql.count_matches(session, filters) if after == 0 else None
    current = _current_answers(votes)
    items = []
    for pk, item_id, payload, label, status, confidence in rows:
        answers = current.get(pk, {})
        items.append(
            {
                "item_id": item_id,
                "snippet": snippet(schema, payload),
                "status": status,
                "label": schema.decode(label) if label != -1 else None,
                "confidence": confidence,
                "answers": [
                    {"user": user, "label": schema.decode(lab), "queue": queue}
                    for user, (lab, queue, _at) in sorted(answers.items())
                ],
                "comments": comments.get(pk, 0),
                "skips": skips.get(pk, 0),
            }
        )
    return {
        "items": items,
        "next": pks[-1] if len(pks) == limit else None,
        "count": total,
        "count_capped": total is not None and total > sql.COUNT_CAP,
    }


def match_pks(store: Store, schema: Schema, flt: ItemFilter, *, limit: int) -> list[int]:
    """The internal keys of up to ``limit`` items matching ``flt`` (to assign them)."""
    filters = flt.resolved(schema)
    with store.session() as session:
        return sql.all_matches(session, filters, limit)


def _current_answers(
    votes: list[tuple[int, str, str, int, str | None, Any, int]],
) -> dict[int, dict[str, tuple[int, str | None, Any]]]:
    """item_pk -> person -> (label, queue, at) of their current answer (the latest vote of
    each of their sources, withdrawals dropped; a review answer outranks a crowd one)."""
    latest: dict[tuple[int, str, str], tuple[int, str | None, Any]] = {}
    for pk, kind, user, label, queue, at, _vid in votes:
        latest[(pk, kind, user)] = (label, queue, at)
    out: dict[int, dict[str, tuple[int, str | None, Any]]] = {}
    for (pk, _kind, user), value in sorted(latest.items(), key=lambda kv: kv[0][1] == "human"):
        if value[0] != -1:
            out.setdefault(pk, {})[user] = value
    return out


def item_record(store: Store, schema: Schema, item_id: str) -> dict[str, Any]:
    """Everything about one item a reviewer may see: people's current answers and the full
    history of their votes (withdrawals marked), skips with reasons, comments, who it is
    assigned to and who holds it now."""
    with store.session() as session:
        pk = item_sql.item_pk(session, item_id)
        votes = sql.item_people_votes(session, pk)
        skips = team_sql.item_skips(session, pk)
        comments = team_sql.comments_of(session, [pk])
        assignees = team_sql.item_assignees(session, pk)
        holders = sql.lease_holders(session, pk, datetime.now(UTC))
    current = _current_answers(votes).get(pk, {})
    return {
        "answers": [
            {"user": user, "label": schema.decode(lab), "queue": queue, "at": at}
            for user, (lab, queue, at) in sorted(current.items())
        ],
        "history": [
            {
                "user": user,
                "kind": kind,
                "label": schema.decode(lab) if lab != -1 else None,
                "withdrawn": lab == -1,
                "queue": queue,
                "at": at,
            }
            for _pk, kind, user, lab, queue, at, _vid in votes
        ],
        "skips": [{"user": u, "queue": q, "reason": r, "at": at} for u, q, r, at in skips],
        "comments": [{"id": i, "user": u, "text": t, "at": at} for i, _pk, u, t, at in comments],
        "assigned": [{"user": u, "done": done} for u, done in assignees],
        "held_by": [
            {"user": u, "queue": q, "answered": answered}
            for u, q, answered in holders
            if not answered
        ],
    }


def reveal(store: Store, item_id: str, *, user: str) -> None:
    """Remember that ``user`` saw the item's suggestion and votes in the browser."""

    def work(session: Any) -> None:
        pk = item_sql.item_pk(session, item_id)
        user_id, _role = queue_sql.user_row(session, user)
        queue_sql.reveal(session, pk, user_id, datetime.now(UTC))

    store.write(work)


def browse_options(store: Store) -> dict[str, list[str]]:
    """The rule and person names the browser's filters offer."""
    with store.session() as session:
        return {"rules": sql.rule_names(session), "people": sql.people_names(session)}
