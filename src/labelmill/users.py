"""People who use the browser application: add, list, remove, verify; their sessions,
API tokens and API keys.

Passwords are hashed with Argon2id (``argon2-cffi``); only the hash is stored. A user
row also exists for names that answered through the library (``Project.add_answer``):
such rows carry the unusable hash ``"!"`` and cannot log in until a password is set
with :func:`add_user` (``labelmill users PROJECT add NAME``), which then updates them.

Every login opens a row in ``auth_sessions`` (a browser ``session`` or an API ``access``
token); the signed token the server hands out names that row, and a request is let in
only while the row is live. So logging out ends one session, changing a password ends
every other session and token of that person, and disabling or removing a person ends
everything, at once. API keys (``lm_<id>_<secret>``) are separate from passwords: made by
a logged-in person, shown once, stored as a SHA-256 of their random secret, revocable one
by one, and untouched by a password change. The project always keeps one active admin who
can log in: the last one cannot be demoted, disabled or removed.

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
import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from labelmill.enums import Role
from labelmill.exceptions import AuthError, ConfigError, NotFoundError
from labelmill.store import Store, User
from labelmill.store.queries import queues as queue_sql
from labelmill.store.queries import users as sql

logger = logging.getLogger(__name__)

__all__ = [
    "API_KEY",
    "ACCESS",
    "ROLES",
    "SESSION",
    "ApiKeyInfo",
    "UserInfo",
    "add_user",
    "change_password",
    "check_api_key",
    "check_session",
    "create_api_key",
    "get_user",
    "hash_password",
    "is_api_key",
    "list_api_keys",
    "list_users",
    "open_session",
    "private_store_files",
    "remove_user",
    "revoke_api_key",
    "revoke_session",
    "session_started",
    "set_active",
    "set_role",
    "verify_user",
]

#: kinds of ``auth_sessions`` rows: a browser session, an API token from a password login,
#: an API key
SESSION, ACCESS, API_KEY = "session", "access", "api_key"
_LOGINS = (SESSION, ACCESS)
_KEY_PREFIX = "lm_"
_KEY_TOUCH = timedelta(minutes=5)  # how stale ``last_used_at`` of a key may get

ROLES = tuple(r.value for r in Role)
MIN_PASSWORD_LENGTH = 8
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_UNUSABLE = sql.UNUSABLE_HASH


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
            _keep_an_admin(session, user, role=role)
            user.role, user.password_hash, user.active = role, hashed, True
            # A new password set by someone else: every way in that the old one opened ends.
            sql.revoke_sessions(session, user.id, (*_LOGINS, API_KEY), datetime.now(UTC))
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
        if not active:
            _keep_an_admin(session, user, active=False)
            sql.drop_leases(session, user.id)
            sql.revoke_sessions(session, user.id, (*_LOGINS, API_KEY), datetime.now(UTC))
        user.active = bool(active)
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
        _keep_an_admin(session, user, role=role)
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
        _keep_an_admin(session, user, active=False)
        user.active = False
        user.password_hash = _UNUSABLE
        sql.drop_leases(session, user.id)
        sql.revoke_sessions(session, user.id, (*_LOGINS, API_KEY), datetime.now(UTC))
        queue_sql.log_action(session, actor, "user.remove", name, None)

    store.write(work)


def _keep_an_admin(
    session: Session, user: User, *, role: str | None = None, active: bool = True
) -> None:
    """Refuse a change that would leave the project without an active admin who can log in."""
    stays_admin = (role or user.role) == Role.ADMIN and active
    is_admin = user.role == Role.ADMIN and user.active and user.password_hash != _UNUSABLE
    if is_admin and not stays_admin and sql.count_admins(session, besides=user.id) == 0:
        raise ConfigError(
            f"{user.name} is the last admin who can log in; make someone else an admin "
            "first (labelmill users PROJECT add NAME --role admin)."
        )


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


# -- sessions, API tokens, API keys -------------------------------------------------------------
@dataclass(frozen=True)
class ApiKeyInfo:
    """An API key as its owner sees it (never the secret, which is shown once)."""

    id: str
    name: str
    created_at: datetime | None
    last_used_at: datetime | None
    revoked: bool


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite gives back naive datetimes; everything labelmill stores is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _live_user(user: User | None, name: str) -> User:
    if user is None:
        raise NotFoundError(f"No user named {name!r}.")
    return user


def open_session(store: Store, name: str, kind: str, *, seconds: float) -> str:
    """Open a ``session`` (browser) or ``access`` (API token) row for user ``name``, valid
    ``seconds``; returns its id, which the signed token carries."""
    if kind not in _LOGINS:
        raise ConfigError(f"A login opens a {' or '.join(_LOGINS)}. Got {kind!r} instead.")
    sid = secrets.token_hex(16)

    def work(session: Session) -> str:
        user = _live_user(sql.find_user(session, name), name)
        now = datetime.now(UTC)
        sql.prune_sessions(session, user.id, now - timedelta(days=1))
        sql.add_session(
            session, sid, user.id, kind, now=now, expires_at=now + timedelta(seconds=seconds)
        )
        return sid

    return store.write(work)


def check_session(store: Store, sid: str, name: str, kind: str) -> UserInfo:
    """The user of session ``sid`` if it is live: it exists, belongs to ``name``, is of
    ``kind``, is neither revoked nor expired, and its user is active and can log in.

    Raises
    ------
    AuthError
        Otherwise, with the reason.
    """
    with store.session() as session:
        found = sql.session_with_user(session, sid)
        if found is None:
            raise AuthError("This session or token is unknown (logged out?); log in again.")
        row, user = found
        info = _info(user)
        revoked, expires, row_kind = row.revoked_at, _aware(row.expires_at), row.kind
    if row_kind != kind or info.name != name:
        raise AuthError("This session or token does not match its token; log in again.")
    if revoked is not None:
        raise AuthError(
            "This session or token was ended (logout or password change); log in again."
        )
    if expires is not None and expires < datetime.now(UTC):
        raise AuthError("This session or token has expired; log in again.")
    if not info.active or not info.can_login:
        raise AuthError(f"The user {name!r} is disabled; ask an admin.")
    return info


def session_started(store: Store, sid: str) -> datetime | None:
    """When session ``sid`` was opened (its login), or None for an unknown id."""
    with store.session() as session:
        row = sql.session_row(session, sid)
        return _aware(row.created_at) if row is not None else None


def revoke_session(store: Store, sid: str, *, actor: str = "library") -> None:
    """End one session or token (logout). Unknown ids are ignored: logging out twice is fine."""

    def work(session: Session) -> None:
        row = sql.session_row(session, sid)
        if row is not None and row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
            queue_sql.log_action(session, actor, "logout", row.kind, {"session": sid[:8]})

    store.write(work)


def change_password(
    store: Store, name: str, old: str, new: str, *, keep: str | None = None
) -> UserInfo:
    """Set ``name``'s password to ``new`` if ``old`` is their current one; every other
    session and API token of theirs ends (``keep``: the session making the change). API
    keys stay: they are separate from the password.

    Raises
    ------
    AuthError
        ``old`` is not the current password.
    ConfigError
        ``new`` is shorter than 8 characters, or the same as ``old``.
    """
    verify_user(store, name, old)
    if new == old:
        raise ConfigError("The new password is the same as the current one; choose another.")
    hashed = hash_password(new)

    def work(session: Session) -> UserInfo:
        user = _live_user(sql.find_user(session, name), name)
        user.password_hash = hashed
        ended = sql.revoke_sessions(session, user.id, _LOGINS, datetime.now(UTC), keep=keep)
        queue_sql.log_action(session, name, "password", name, {"sessions_ended": ended})
        return _info(user)

    return store.write(work)


def _key_secret_hash(secret: str) -> str:
    # The secret is 32 random bytes: a fast hash suffices (nothing to brute-force).
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_api_key(store: Store, name: str, key_name: str) -> tuple[ApiKeyInfo, str]:
    """A new API key for user ``name``; returns its info and the key itself, which is
    stored only as a hash and cannot be shown again.

    Raises
    ------
    ConfigError
        ``key_name`` is empty or longer than 100 characters.
    """
    key_name = (key_name or "").strip()
    if not 1 <= len(key_name) <= 100:
        raise ConfigError(
            "An API key needs a name of 1-100 characters (what it is for, e.g. 'import "
            f"script'). Got {key_name!r}."
        )
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)

    def work(session: Session) -> ApiKeyInfo:
        user = _live_user(sql.find_user(session, name), name)
        now = datetime.now(UTC)
        row = sql.add_session(
            session,
            key_id,
            user.id,
            API_KEY,
            now=now,
            expires_at=None,
            name=key_name,
            secret_hash=_key_secret_hash(secret),
        )
        queue_sql.log_action(session, name, "api_key.add", key_name, {"key": key_id})
        return ApiKeyInfo(key_id, key_name, row.created_at, None, False)

    info = store.write(work)
    return info, f"{_KEY_PREFIX}{key_id}_{secret}"


def list_api_keys(store: Store, name: str) -> list[ApiKeyInfo]:
    """User ``name``'s API keys, newest first (revoked ones included, marked)."""
    with store.session() as session:
        user = _live_user(sql.find_user(session, name), name)
        return [
            ApiKeyInfo(r.id, r.name or "", r.created_at, r.last_used_at, r.revoked_at is not None)
            for r in sql.user_sessions(session, user.id, (API_KEY,))
        ]


def revoke_api_key(store: Store, name: str, key_id: str) -> None:
    """Revoke one of ``name``'s API keys.

    Raises
    ------
    NotFoundError
        ``name`` has no key ``key_id``.
    """

    def work(session: Session) -> None:
        user = _live_user(sql.find_user(session, name), name)
        row = sql.session_row(session, key_id)
        if row is None or row.user_id != user.id or row.kind != API_KEY:
            raise NotFoundError(f"{name} has no API key {key_id!r}.")
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
            queue_sql.log_action(session, name, "api_key.revoke", row.name, {"key": key_id})

    store.write(work)


def is_api_key(token: str) -> bool:
    return token.startswith(_KEY_PREFIX)


def check_api_key(store: Store, token: str) -> UserInfo:
    """The user of a live API key (``lm_<id>_<secret>``).

    Raises
    ------
    AuthError
        Malformed, unknown, revoked, or its user disabled.
    """
    bad = AuthError("The API key is not valid (revoked or mistyped); make a new one.")
    key_id, _, secret = token.removeprefix(_KEY_PREFIX).partition("_")
    if not key_id or not secret:
        raise bad
    with store.session() as session:
        found = sql.session_with_user(session, key_id)
        if found is None:
            raise bad
        row, user = found
        info = _info(user)
        stored, kind, revoked = row.secret_hash or "", row.kind, row.revoked_at
        last = _aware(row.last_used_at)
    if kind != API_KEY or revoked is not None:
        raise bad
    if not hmac.compare_digest(stored, _key_secret_hash(secret)):
        raise bad
    if not info.active or not info.can_login:
        raise AuthError(f"The user {info.name!r} is disabled; ask an admin.")
    now = datetime.now(UTC)
    if last is None or now - last > _KEY_TOUCH:
        store.write(lambda session: sql.touch_session(session, key_id, now))
    return info


def private_store_files(store: Store) -> list[str]:
    """Make a SQLite store's files (database, WAL, shared memory) readable by their owner
    only, since they hold password hashes; returns the files changed. SQLite gives a new WAL
    the database file's mode. Other databases: nothing to do."""
    from pathlib import Path

    if store.dialect != "sqlite":
        return []
    database = store.engine.url.database
    if not database or database == ":memory:":
        return []
    changed = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(database + suffix)
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
            logger.info("made %s readable by its owner only (was %o)", path, mode)
            changed.append(str(path))
    return changed


# -- login limits shared by every server process ---------------------------------------
def login_failures(store: Store, keys: list[str], since: float) -> dict[str, tuple[int, float]]:
    """key -> (failed logins since ``since``, the time of the oldest) for ``keys``."""
    with store.session() as session:
        return sql.recent_failures(session, keys, since)


def record_login_failure(store: Store, keys: list[str], at: float, *, forget_before: float) -> None:
    """Count one failed login under each of ``keys`` (and forget expired ones)."""
    store.write(lambda s: sql.add_failures(s, keys, at, forget_before=forget_before))


def forget_login_failures(store: Store, key: str) -> None:
    store.write(lambda s: sql.forget_failures(s, key))
