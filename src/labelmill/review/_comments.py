"""People's notes on items: comments (kept as written) and skip reasons, shown with the item
and read by the export."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from labelmill.exceptions import ConfigError
from labelmill.store import Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import queues as sql
from labelmill.store.queries import team as team_sql

__all__ = ["MAX_COMMENT", "add_comment", "comments", "skips"]

MAX_COMMENT = 2000


def add_comment(store: Store, item_id: str, text: str, *, user: str) -> dict[str, Any]:
    """Add ``user``'s comment on ``item_id`` (one transaction); returns it.

    Raises
    ------
    NotFoundError
        No such item.
    ConfigError
        An empty comment, or one longer than 2,000 characters.
    """
    text = (text or "").strip()
    if not 1 <= len(text) <= MAX_COMMENT:
        raise ConfigError(
            f"A comment must have 1-{MAX_COMMENT} characters. Got {len(text)}; shorten it or "
            "split it in two."
        )

    def work(session: Session) -> dict[str, Any]:
        now = datetime.now(UTC)
        pk = item_sql.item_pk(session, item_id)
        user_id, _role = sql.user_row(session, user)
        comment_id = team_sql.add_comment(session, pk, user_id, text, now)
        sql.log_action(session, user, "comment", item_id, {"comment": comment_id}, now)
        return {"id": comment_id, "item_id": item_id, "user": user, "text": text, "at": now}

    return store.write(work)


def comments(store: Store, item_ids: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """item_id -> its comments, oldest first (``item_ids``: those items; None: all items)."""
    with store.session() as session:
        if item_ids is None:
            pks = team_sql.commented_items(session)
        else:
            pks = [item_sql.item_pk(session, i) for i in item_ids]
        rows = team_sql.comments_of(session, pks)
        ids = item_sql.item_ids(session, sorted({pk for _, pk, *_ in rows}))
    out: dict[str, list[dict[str, Any]]] = {}
    for comment_id, pk, user, text, at in rows:
        out.setdefault(ids[pk], []).append({"id": comment_id, "user": user, "text": text, "at": at})
    return out


def skips(store: Store, item_ids: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """item_id -> who skipped it, in which queue, why and when (``item_ids``: those items;
    None: every skipped item)."""
    with store.session() as session:
        rows = team_sql.skips_of(
            session, None if item_ids is None else [item_sql.item_pk(session, i) for i in item_ids]
        )
        ids = item_sql.item_ids(session, sorted({pk for pk, *_ in rows}))
    out: dict[str, list[dict[str, Any]]] = {}
    for pk, user, queue, reason, at in rows:
        out.setdefault(ids[pk], []).append(
            {"user": user, "queue": queue, "reason": reason, "at": at}
        )
    return out
