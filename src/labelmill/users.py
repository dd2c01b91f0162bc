"""People who use the browser application: add, list, remove, verify.

Passwords are hashed with Argon2id (``argon2-cffi``); only the hash is stored. A user
row also exists for names that answered through the library (``Project.add_answer``):
such rows carry the unusable hash ``"!"`` and cannot log in until a password is set
with :func:`add_user` (``labelmill users PROJECT add NAME``), which then updates them.

Examples
--------
>>> import tempfile
>>> from labelmill import Project
>>> project = Project.init(tempfile.mkdtemp(), classes=["spam", "ham"])
>>> add_user(project.store, "ada", "correct horse", role="admin").role
'admin'
>>> verify_user(project.store, "ada", "correct horse").name
'ada'
>>> project.close()
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from labelmill.enums import Role
from labelmill.exceptions import AuthError, ConfigError, NotFoundError
from labelmill.store import Store, User
from labelmill.store.queries import queues as queue_sql
from labelmill.store.queries import users as sql

__all__ = [
    "ROLES",
    "UserInfo",
    "add_user",
    "get_user",
    "hash_password",
    "list_users",
    "remove_user",
    "set_active",
    "set_role",
    "verify_user",
]

ROLES = tuple(r.value for r in Role)
MIN_PASSWORD_LENGTH = 8
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_UNUSABLE = "!"


def _hasher() -> PasswordHasher:
    # Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile).
    return PasswordHasher()


@dataclass(frozen=True)
class UserInfo:
    """A user as the application sees it (never the password hash)."""

    id: int
    name: str
    role: str
    active: bool
    can_login: bool
    created_at: datetime | None


def _info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        name=user.name,
        role=user.role,
        active=bool(user.active),
        can_login=user.password_hash != _UNUSABLE,
        created_at=user.created_at,
    )


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ConfigError(f"The role must be one of {', '.join(ROLES)}. Got {role!r} instead.")
    return role


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            "A user name must be 1-100 characters of letters, digits, '.', '_', '@' or '-', "
            f"starting with a letter or digit. Got {name!r} instead."
        )
    return name


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (at least 8 characters)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(
            f"A password must have at least {MIN_PASSWORD_LENGTH} characters. "
            f"Got {len(password) if isinstance(password, str) else type(password).__name__}."
        )
    return _hasher().hash(password)


def add_user(
    store: Store, name: str, password: str, *, role: str = "annotator", actor: str = "library"
) -> UserInfo:
    """Create user ``name`` with ``role``, or set the password and role of an existing one.

    Raises
    ------
    ConfigError
        Bad name, role or a password shorter than 8 characters.
    """
    check_name(name)
    check_role(role)
    hashed = hash_password(password)

    def work(session: Session) -> UserInfo:
        user = sql.find_user(session, name)
        action = "user.update" if user is not None else "user.add"
        if user is None:
            user = sql.add_user(session, name, role, hashed)
        else:
            user.role, user.password_hash, user.active = role, hashed, True
        queue_sql.log_action(session, actor, action, name, {"role": role})
        return _info(user)

    return store.write(work)


def list_users(store: Store) -> list[UserInfo]:
    """Every user, by name."""
    with store.session() as session:
        return [_info(u) for u in sql.all_users(session)]


def get_user(store: Store, name: str) -> UserInfo:
    """User ``name``; raises :class:`NotFoundError` when there is none."""
    with store.session() as session:
        user = sql.find_user(session, name)
        if user is None:
            raise NotFoundError(
                f"No user named {name!r}; add one with: labelmill users PROJECT add {name}"
            )
        return _info(user)


def set_active(store: Store, name: str, active: bool, *, actor: str = "library") -> UserInfo:
    """Enable or disable a user's login (answers stay)."""

    def work(session: Session) -> UserInfo:
        user = sql.find_user(session, name)
        if user is None:
            raise NotFoundError(f"No user named {name!r}.")
        user.active = bool(active)
        if not active:
            sql.drop_leases(session, user.id)
        queue_sql.log_action(session, actor, "user.active", name, {"active": bool(active)})
        return _info(user)

    return store.write(work)


def set_role(store: Store, name: str, role: str, *, actor: str = "library") -> UserInfo:
    """Change a user's role."""
    check_role(role)

    def work(session: Session) -> UserInfo:
        user = sql.find_user(session, name)
        if user is None:
            raise NotFoundError(f"No user named {name!r}.")
        user.role = role
        queue_sql.log_action(session, actor, "user.role", name, {"role": role})
        return _info(user)

    return store.write(work)


def remove_user(store: Store, name: str, *, actor: str = "library") -> None:
    """Remove a user's login. Their answers (votes of their source) are kept: provenance.

    The row is deactivated and its password made unusable rather than deleted, because
    votes and the audit log refer to the name.
    """

    def work(session: Session) -> None:
        user = sql.find_user(session, name)
        if user is None:
            raise NotFoundError(f"No user named {name!r}.")
        user.active = False
        user.password_hash = _UNUSABLE
        sql.drop_leases(session, user.id)
        queue_sql.log_action(session, actor, "user.remove", name, None)

    store.write(work)


def verify_user(store: Store, name: str, password: str) -> UserInfo:
    """The user ``name`` if ``password`` is theirs and they are active.

    Raises
    ------
    AuthError
        Unknown name, wrong password, disabled or removed user: the same message for all,
        so a caller cannot tell which names exist.
    """
    failure = AuthError("Wrong user name or password.")
    with store.session() as session:
        user = sql.find_user(session, name)
        info = _info(user) if user is not None else None
        stored = user.password_hash if user is not None else None
    hasher = _hasher()
    if info is None or stored in (None, _UNUSABLE) or not info.active:
        # Spend the same time as a real check so response times do not reveal names.
        with contextlib.suppress(VerificationError, InvalidHashError):
            hasher.verify(_DUMMY_HASH, password or "-")
        raise failure
    try:
        hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise failure from None
    if hasher.check_needs_rehash(stored):
        new_hash = hasher.hash(password)

        def rehash(session: Session) -> None:
            row = sql.find_user(session, name)
            if row is not None:
                row.password_hash = new_hash

        store.write(rehash)
    return info


# A hash of a random password, used to equalize timing for unknown names (constant data).
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$RPQyQVoPUANa25XqoMAqCg"
    "$vyW2jmRM3xSWwIiEugICSQcEiWQ0Q46vN5xjMAYOxlQ"
)
