"""Assignment: items given to named people.

An assigned item comes first in its assignees' review and crowd queues, and those queues
serve it to nobody else until the assignees answered or skipped it (then it is done). The
audit queue ignores assignments: its sample stays random. ``split`` gives each item to one
of the people in turn; ``each`` gives every item to every one of them (for a crowd, with
the overlap as the ceiling as always).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from labelmill.exceptions import ConfigError, NotFoundError
from labelmill.store import Store
from labelmill.store.queries import queues as sql
from labelmill.store.queries import team as team_sql
from labelmill.store.queries import users as user_sql

__all__ = ["MODES", "assign", "assignment_summary", "unassign"]

MODES = ("split", "each")
MAX_ITEMS = 100_000


def _people(session: Session, names: Sequence[str]) -> list[int]:
    if not names:
        raise ConfigError("Name at least one person to assign items to.")
    ids = []
    for name in dict.fromkeys(names):
        user = user_sql.find_user(session, name)
        if user is None or not user.active:
            raise NotFoundError(
                f"No active user named {name!r}; add them under Users (or labelmill users "
                "PROJECT add NAME) first."
            )
        ids.append(user.id)
    return ids


def assign(
    store: Store,
    item_pks: Sequence[int],
    people: Sequence[str],
    *,
    mode: str = "split",
    actor: str = "library",
) -> dict[str, int]:
    """Assign the items ``item_pks`` to ``people``; returns person -> items given.

    Raises
    ------
    ConfigError
        No people, no items, more than 100,000 items, or an unknown ``mode``.
    NotFoundError
        A person who does not exist or is disabled.
    """
    if mode not in MODES:
        raise ConfigError(f"The assignment mode must be one of {', '.join(MODES)}. Got {mode!r}.")
    pks = list(dict.fromkeys(int(pk) for pk in item_pks))
    if not pks:
        raise ConfigError("No items to assign: the selection is empty.")
    if len(pks) > MAX_ITEMS:
        raise ConfigError(
            f"At most {MAX_ITEMS:,} items can be assigned at once. Got {len(pks):,}; narrow "
            "the filter or assign in parts."
        )

    def work(session: Session) -> dict[str, int]:
        now = datetime.now(UTC)
        user_ids = _people(session, people)
        names = list(dict.fromkeys(people))
        if mode == "split":
            pairs = [(pk, user_ids[i % len(user_ids)]) for i, pk in enumerate(pks)]
        else:
            pairs = [(pk, uid) for pk in pks for uid in user_ids]
        team_sql.assign(session, pairs, actor, now)
        given = {name: 0 for name in names}
        by_id = dict(zip(user_ids, names, strict=True))
        for _pk, uid in pairs:
            given[by_id[uid]] += 1
        sql.log_action(session, actor, "assign", ",".join(names), {"mode": mode, **given}, now)
        return given

    return store.write(work)


def unassign(
    store: Store, people: Sequence[str], item_pks: Sequence[int] | None = None, *, actor: str
) -> int:
    """Take back the open assignments of ``people`` (of ``item_pks``, or all); returns how
    many were removed. Done ones stay as history."""

    def work(session: Session) -> int:
        removed = team_sql.unassign(session, item_pks, _people(session, people))
        sql.log_action(session, actor, "unassign", ",".join(people), {"removed": removed})
        return removed

    return store.write(work)


def assignment_summary(store: Store) -> list[dict[str, Any]]:
    """Open and done assignments per person."""
    with store.session() as session:
        rows = team_sql.assignment_counts(session)
    return [{"user": u, "open": o, "done": d} for u, o, d in rows]
