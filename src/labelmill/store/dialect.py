"""What differs between the databases labelmill runs on, in one place.

SQLite and PostgreSQL both know ``INSERT ... ON CONFLICT``; SQLAlchemy spells it through
each dialect's own ``insert``. Statements are built once per dialect and cached, since
building a statement costs more than running it on an index.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy.orm import Session

__all__ = ["dialect_of", "insert_for"]


def dialect_of(session: Session) -> str:
    """``"sqlite"`` or ``"postgresql"`` (or another SQLAlchemy dialect name)."""
    bind = session.get_bind()
    return str(bind.dialect.name)


@functools.cache
def _insert(dialect: str) -> Any:
    # Imported on first use: the PostgreSQL dialect takes a third of a second to import,
    # which `labelmill status` on a SQLite project need not pay.
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


def insert_for(session: Session) -> Any:
    """The dialect's ``insert`` construct, which has ``on_conflict_do_nothing/update``."""
    return _insert(dialect_of(session))
