"""User rows, and their sessions, API tokens and API keys. Functions take a session and
never commit."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from labelmill.enums import Role
from labelmill.store.models import AuthSession, Lease, LoginFailure, User

__all__ = [
    "add_session",
    "add_user",
    "all_users",
    "count_admins",
    "drop_leases",
    "find_user",
    "prune_sessions",
    "revoke_sessions",
    "session_row",
    "session_with_user",
    "touch_session",
    "user_sessions",
]

UNUSABLE_HASH = "!"


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).first()


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def drop_leases(session: Session, user_id: int) -> None:
    """Release every item leased to the user (answered crowd slots stay: they count)."""
    session.execute(delete(Lease).where(Lease.user_id == user_id, Lease.answered.is_(False)))


def add_user(session: Session, name: str, role: str, password_hash: str) -> User:
    """A new active user row (flushed, so it has an id)."""
    user = User(name=name, role=role, password_hash=password_hash, active=True)
    session.add(user)
    session.flush()
    return user


def count_admins(session: Session, *, besides: int | None = None) -> int:
    """Active admins who can log in (a password set), leaving out user id ``besides``."""
    query = (
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.active.is_(True), User.password_hash != UNUSABLE_HASH)
    )
    if besides is not None:
        query = query.where(User.id != besides)
    return int(session.scalar(query) or 0)


# -- sessions, API tokens and API keys ---------------------------------------------------------
def add_session(
    session: Session,
    sid: str,
    user_id: int,
    kind: str,
    *,
    now: datetime,
    expires_at: datetime | None,
    name: str | None = None,
    secret_hash: str | None = None,
) -> AuthSession:
    row = AuthSession(
        id=sid,
        user_id=user_id,
        kind=kind,
        name=name,
        secret_hash=secret_hash,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row


@functools.cache
def _session_with_user() -> Any:
    return (
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.id == bindparam("sid"))
    )


def session_with_user(session: Session, sid: str) -> tuple[AuthSession, User] | None:
    """The session row ``sid`` and its user (one indexed read per request)."""
    row = session.execute(_session_with_user(), {"sid": sid}).first()
    return None if row is None else (row[0], row[1])


def session_row(session: Session, sid: str) -> AuthSession | None:
    return session.get(AuthSession, sid)


def user_sessions(session: Session, user_id: int, kinds: Sequence[str]) -> list[AuthSession]:
    """The user's sessions of ``kinds``, newest first."""
    return list(
        session.scalars(
            select(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.kind.in_(list(kinds)))
            .order_by(AuthSession.created_at.desc())
        )
    )


def revoke_sessions(
    session: Session,
    user_id: int,
    kinds: Sequence[str],
    now: datetime,
    *,
    keep: str | None = None,
) -> int:
    """Revoke the user's live sessions of ``kinds`` (all but ``keep``); returns how many."""
    query = (
        update(AuthSession)
        .where(
            AuthSession.user_id == user_id,
            AuthSession.kind.in_(list(kinds)),
            AuthSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def touch_session(session: Session, sid: str, now: datetime) -> None:
    session.execute(update(AuthSession).where(AuthSession.id == sid).values(last_used_at=now))


def prune_sessions(session: Session, user_id: int, before: datetime) -> None:
    """Forget the user's sessions and tokens that expired before ``before`` (keys stay)."""
    session.execute(
        delete(AuthSession).where(
            AuthSession.user_id == user_id,
            AuthSession.expires_at.is_not(None),
            AuthSession.expires_at < before,
        )
    )


# -- login limits shared by every server process ---------------------------------------
def recent_failures(
    session: Session, keys: list[str], since: float
) -> dict[str, tuple[int, float]]:
    """key -> (failed logins since ``since``, the oldest of them) for ``keys``."""
    rows = session.execute(
        select(LoginFailure.key, func.count(), func.min(LoginFailure.at))
        .where(LoginFailure.key.in_(keys), LoginFailure.at > since)
        .group_by(LoginFailure.key)
    )
    return {str(k): (int(n), float(oldest)) for k, n, oldest in rows}


def add_failures(session: Session, keys: list[str], at: float, *, forget_before: float) -> None:
    """Record one failed login under each of ``keys``; forget failures older than
    ``forget_before`` (they count for no limit any more)."""
    session.execute(delete(LoginFailure).where(LoginFailure.at <= forget_before))
    session.execute(insert(LoginFailure), [{"key": k, "at": at} for k in keys])


def forget_failures(session: Session, key: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.key == key))
