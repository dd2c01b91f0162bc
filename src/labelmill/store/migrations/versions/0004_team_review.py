"""a review app for a team: sessions and API keys, comments, assignments, live rounds

- ``auth_sessions``: every browser session, API token and API key is a row, so logging
  out, changing a password or revoking a key ends it at once (the signed token names its
  row). API keys keep only a SHA-256 of their random secret.
- ``comments``: people's notes on items (kept, exported).
- ``assignments``: items given to named people; ``done_at`` once they answered or skipped.
- ``rounds.pid``, ``rounds.host``, ``rounds.heartbeat_at``: the process running a round, so
  a round whose process is gone reads as failed at once instead of "running" forever.
- ``served.revealed_at``: when a person saw an item's suggestion and votes outside the
  queues (the item browser), so a blind answer of theirs is not changed after it.
- Review and audit leases move to their own slot (-1): crowd answers keep slots 0..k-1 for
  good, and an answered crowd slot 0 had kept the item from ever being reviewed or audited.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_auth_sessions_user", "auth_sessions", ["user_id"])
    op.create_table(
        "comments",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("item_pk", _BIG, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_pk"], ["items.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_comments_item", "comments", ["item_pk"])
    op.create_table(
        "assignments",
        sa.Column("item_pk", _BIG, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_pk"], ["items.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_pk", "user_id"),
    )
    op.create_index("ix_assignments_user_open", "assignments", ["user_id", "done_at"])
    with op.batch_alter_table("rounds") as batch_op:
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("served") as batch_op:
        batch_op.add_column(sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE leases SET slot = -1 WHERE queue IN ('review', 'audit')")


def downgrade() -> None:
    # Back to one slot 0: a review or audit lease of an item whose crowd slot 0 is taken
    # cannot move there, and goes (leases are short-lived).
    op.execute(
        "DELETE FROM leases WHERE slot = -1 "
        "AND item_pk IN (SELECT item_pk FROM leases WHERE slot = 0)"
    )
    op.execute("UPDATE leases SET slot = 0 WHERE slot = -1")
    with op.batch_alter_table("served") as batch_op:
        batch_op.drop_column("revealed_at")
    with op.batch_alter_table("rounds") as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("host")
        batch_op.drop_column("pid")
    op.drop_index("ix_assignments_user_open", table_name="assignments")
    op.drop_table("assignments")
    op.drop_index("ix_comments_item", table_name="comments")
    op.drop_table("comments")
    op.drop_index("ix_auth_sessions_user", table_name="auth_sessions")
    op.drop_table("auth_sessions")
