"""The project store: SQLAlchemy 2.0 models, engine/session handling and Alembic migrations."""

from labelmill.store.engine import Store, create_store_engine
from labelmill.store.models import (
    Assignment,
    AuditLog,
    AuthSession,
    Base,
    Comment,
    Counter,
    Import,
    Item,
    Label,
    Lease,
    LoginFailure,
    Round,
    Served,
    Setting,
    Source,
    User,
    Vote,
)

__all__ = [
    "Assignment",
    "AuditLog",
    "AuthSession",
    "Base",
    "Comment",
    "Counter",
    "Import",
    "Item",
    "Label",
    "Lease",
    "LoginFailure",
    "Round",
    "Served",
    "Setting",
    "Source",
    "Store",
    "User",
    "Vote",
    "create_store_engine",
]
