"""SQLAlchemy 2.0 models of the project store.

One table per concept of SPEC.md::

    items ──< votes >── sources          votes are append-only: the provenance
      │         └────── rounds >──┐      a round stamps what it produced
      └── labels (one per item) ──┘      the current decision, posterior and status
    users ──< leases >── items           who is working on what (server)
    users ──< served >── items           what each person was shown, in which mode; skips
    users ──< comments >── items         people's notes on items
    users ──< assignments >── items      items given to named people
    users ──< auth_sessions              browser sessions, API tokens and API keys (revocable)
    imports, settings, audit_log         what came in, project settings, who changed what

Integers everywhere a label is stored: a class index ``0..k-1`` (or a bit mask for
multi-label schemas), ``-1`` for abstain / no label.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
    "User",
    "Vote",
]

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigKey = BigInteger().with_variant(Integer(), "sqlite")

# The words stored in kind, status, queue and role columns: labelmill.enums.


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Setting(Base):
    """A project setting (key -> JSON value), e.g. the store's schema revision or bandit state."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Counter(Base):
    """A running count, changed in the same transaction as what it counts (e.g. people's
    answers per queue, ``answers:review``), so hot paths read one row instead of counting."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class Import(Base):
    """One run of ``labelmill import``: what file came in and what it added."""

    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    file_hash: Mapped[str | None] = mapped_column(String(64))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    items_added: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Item(Base):
    """One record to label. ``item_id`` is the id as imported; ``pk`` is internal."""

    __tablename__ = "items"
    pk: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[Any] = mapped_column(JSON)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # A uniform random number fixed at import: the audit sample is drawn in its order.
    random_key: Mapped[float] = mapped_column(Float, index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Source(Base):
    """Anything that votes: a rule, a model, a human, a crowd worker, an import of gold labels."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("kind", "name", "version", name="uq_source_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(64), default="1")
    definition: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Round(Base):
    """One run of the labeling pipeline; everything it produced carries its id."""

    __tablename__ = "rounds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    stage: Mapped[str | None] = mapped_column(String(40))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The process running the round (filled in by whoever inserts the row) and the last time
    # the row changed: a running round whose process is gone reads as failed.
    pid: Mapped[int | None] = mapped_column(Integer, default=os.getpid)
    host: Mapped[str | None] = mapped_column(String(255), default=socket.gethostname)
    heartbeat_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Vote(Base):
    """A source's answer on an item. Never updated or deleted: a newer vote supersedes."""

    __tablename__ = "votes"
    __table_args__ = (Index("ix_votes_item_source", "item_pk", "source_id"),)
    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.pk", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    label: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[float | None] = mapped_column(Float)
    # Which queue a human answer came from: "review", "audit" (blind, random) or "crowd".
    queue: Mapped[str | None] = mapped_column(String(20))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Label(Base):
    """The current decision for an item: class, posterior, confidence, status, provenance."""

    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_status_priority", "status", "priority"),)
    item_pk: Mapped[int] = mapped_column(
        ForeignKey("items.pk", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[int] = mapped_column(BigInteger, default=-1)
    posterior: Mapped[list[Any] | None] = mapped_column(JSON)
    confidence: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="unlabeled", index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    sources: Mapped[list[Any] | None] = mapped_column(JSON)
    # Review-queue order, higher first: set by each round's active-learning strategy (>= 0);
    # from the import until then (random_key - 1, so a fixed random order below any round's).
    priority: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    """A person who labels: admin, reviewer or annotator. Passwords are stored hashed."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Lease(Base):
    """An item handed to a user, until ``expires_at``.

    One row per (item, slot): the review and audit queues use slot -1 only, so an item is
    leased to one person at a time there; the crowd queue uses slots ``0..overlap-1``, and a
    crowd answer keeps its slot (``answered``) without blocking a review or a blind audit of
    the item. The unique key makes a double hand-out impossible
    even when two servers race.
    """

    __tablename__ = "leases"
    __table_args__ = (
        UniqueConstraint("item_pk", "slot", name="uq_lease_slot"),
        Index("ix_leases_user", "user_id"),
    )
    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.pk", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    queue: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A crowd answer keeps its slot: answers plus open leases never exceed the overlap.
    answered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Served(Base):
    """What a person was shown of an item: the queue (mode) it was first served to them in,
    and their skip. The queues never show an item to a person in a second mode, so a blind
    audit answer comes from someone who never saw the machine's suggestion."""

    __tablename__ = "served"
    item_pk: Mapped[int] = mapped_column(
        ForeignKey("items.pk", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    queue: Mapped[str] = mapped_column(String(20))
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    skipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    skip_reason: Mapped[str | None] = mapped_column(Text)
    # When the person saw the item's suggestion and votes outside the queues (item browser).
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Comment(Base):
    """A person's note on an item (kept as written, exported with the item)."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_item", "item_pk"),)
    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.pk", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Assignment(Base):
    """An item given to a named person: their queues serve it to them first, and the review
    and crowd queues serve it to nobody else. ``done_at`` once they answered or skipped it."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_user_open", "user_id", "done_at"),)
    item_pk: Mapped[int] = mapped_column(
        ForeignKey("items.pk", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    assigned_by: Mapped[str] = mapped_column(String(100))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuthSession(Base):
    """A browser session, an API token from a password login, or an API key.

    Signed tokens name their row (``id``); a request is let in only while the row exists,
    is not revoked and has not expired, so logout, a password change or revoking a key ends
    it at once. API keys store only the SHA-256 of their random secret.
    """

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user", "user_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # "session", "access" or "api_key"
    name: Mapped[str | None] = mapped_column(String(100))
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """A failed login, under each limit key it counts for (``pair:name:address``,
    ``address:...``, ``name:...``, ``all``), at a wall-clock time in seconds: shared by every
    server process of the project."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400))
    at: Mapped[float] = mapped_column(Float)


class AuditLog(Base):
    """Who changed what, when. Append-only."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
