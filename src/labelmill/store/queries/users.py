"""User rows. Functions take a session and never commit."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from labelmill.store.models import Lease, User

__all__ = ["add_user", "all_users", "drop_leases", "find_user"]


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).first()


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def drop_leases(session: Session, user_id: int) -> None:
    """Release every item leased to the user."""
    session.execute(delete(Lease).where(Lease.user_id == user_id))


def add_user(session: Session, name: str, role: str, password_hash: str) -> User:
    """A new active user row (flushed, so it has an id)."""
    user = User(name=name, role=role, password_hash=password_hash, active=True)
    session.add(user)
    session.flush()
    return user
