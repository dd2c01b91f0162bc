"""Engines, sessions and migrations of the project store.

SQLite (the default, a file inside the project) runs in WAL mode with foreign keys on
and a busy timeout, so readers never block the writer and short write transactions
queue instead of failing. Any other SQLAlchemy URL works; PostgreSQL is the one for
many users. The schema is created and upgraded by Alembic migrations shipped inside the
package.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from labelmill.exceptions import ProjectError

__all__ = ["Store", "create_store_engine"]

logger = logging.getLogger(__name__)
_MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration; a test checks it matches the migration scripts. Knowing it lets an
# up-to-date store open without loading Alembic (``labelmill status`` must start fast).
HEAD_REVISION = "0005"
T = TypeVar("T")
_WRITE_OPTION = "labelmill_write"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, issue BEGIN so transactions behave as documented.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # FULL: a commit returns once the WAL is synced, so an acknowledged answer survives a
    # power cut, not only a crash of the process (about 0.2 ms per commit here).
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Write transactions (Store.write) take the write lock at BEGIN IMMEDIATE, waiting on the
    # busy timeout; a plain BEGIN that reads first and writes later fails at once with
    # "database is locked" (SQLITE_BUSY_SNAPSHOT, no busy wait) whenever another connection
    # committed in between: a round among people's answers did, every time. In WAL mode
    # IMMEDIATE does not block readers. Read sessions keep a plain BEGIN.
    immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_store_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with labelmill's connection settings.

    Parameters
    ----------
    url : str
        Any SQLAlchemy URL, e.g. ``sqlite:////path/labelmill.db`` or
        ``postgresql+psycopg://postgres@127.0.0.1:5432/test``.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        engine = create_engine(url, **kwargs)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises several types here
        raise ProjectError(f"Cannot use the database URL {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


class Store:
    """A project's database: an engine, a session factory and the migrations.

    Parameters
    ----------
    url : str
        SQLAlchemy URL of the database.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_store_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        sqlite = self.engine.dialect.name == "sqlite"
        writer = self.engine.execution_options(**{_WRITE_OPTION: True}) if sqlite else self.engine
        self._write_sessions = sessionmaker(writer, expire_on_commit=False)
        # SQLite has one writer: threads of this process queue here, in turn, instead of
        # polling the file lock (other processes still wait on the busy timeout).
        self._write_lock = threading.Lock() if sqlite else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest migration (idempotent)."""
        if self._current_revision() == HEAD_REVISION:
            return
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        head = ScriptDirectory.from_config(config).get_current_head()
        try:
            with self.engine.begin() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
                if current == head:
                    return
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except OperationalError as exc:
            raise ProjectError(f"Cannot open the database {self.safe_url}: {exc.orig}") from exc
        logger.info("store migrated from %s to %s", current, head)

    def _current_revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except OperationalError:
            return None  # no table yet (new database), or it cannot be reached: migrate says which
        except Exception:  # noqa: BLE001 - e.g. psycopg's UndefinedTable on PostgreSQL
            return None

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def write(self, work: Callable[[Session], T], *, retries: int = 5) -> T:
        """Run ``work`` in one write transaction, retrying while the database is busy.

        On SQLite the transaction holds the write lock from its start (``BEGIN IMMEDIATE``)
        and the threads of this process take turns on a lock, so a long write (a round's
        labels) makes short ones wait instead of fail.
        """
        delay = 0.05
        for attempt in range(retries + 1):
            try:
                with self._write_turn(), self._write_sessions() as session, session.begin():
                    return work(session)
            except OperationalError as exc:
                busy = "locked" in str(exc.orig) or "busy" in str(exc.orig)
                if not busy or attempt == retries:
                    raise
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def _write_turn(self) -> Iterator[None]:
        if self._write_lock is None:
            yield
            return
        with self._write_lock:
            yield

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """Hold a lock named ``name`` across processes and hosts for the ``with`` block;
        yields False (without waiting) when someone else holds it.

        PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a
        connection kept for the block, released when it ends or the process dies. SQLite: an
        ``fcntl`` lock on a file beside the database (one machine), also released with the
        process. Other databases: always granted (no lock).
        """
        if self.dialect == "postgresql":
            key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")
            key -= 2**63  # a signed 64-bit key
            with self.engine.connect() as conn:
                got = bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar())
                conn.commit()
                try:
                    yield got
                finally:
                    if got:
                        conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
                        conn.commit()
            return
        database = self.engine.url.database
        if self.dialect != "sqlite" or not database or database == ":memory:":
            yield True
            return
        import fcntl

        path = Path(f"{database}.{name}.lock")
        with open(path, "a+b") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def analyze(self) -> None:
        """Give SQLite's query planner fresh table statistics (``ANALYZE``).

        Without them SQLite guesses that ``labels.status = 'unlabeled'`` is selective and
        sorts the whole queue on every request instead of walking ``items.random_key``
        (about 3 s instead of 30 ms per item served at a million items). PostgreSQL keeps
        its own statistics (autovacuum), so this does nothing there.
        """
        if self.dialect != "sqlite":
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA analysis_limit=0")
            conn.exec_driver_sql("ANALYZE")
            conn.commit()

    def dispose(self) -> None:
        self.engine.dispose()
