"""blind audits that stay blind: what each person was shown, and skips

``served``: one row per (item, person): the mode the person was first shown the item in
(``review`` with the machine's suggestion and votes, ``audit`` blind, ``crowd`` blind to
others), and whether they skipped it. The queues never show an item to a person in a second
mode, so an answer recorded as a blind audit comes from someone who never saw the suggestion;
a skipped item is not served to that person again.

``leases.answered``: a crowd answer keeps its lease slot (answered, never expiring), so the
unique ``(item, slot)`` key bounds answers plus open leases by the overlap, even when
servers race.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "served",
        sa.Column("item_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=20), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("skipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["item_pk"], ["items.pk"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_pk", "user_id"),
    )
    with op.batch_alter_table("leases") as batch_op:
        batch_op.add_column(
            sa.Column("answered", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Leases taken before this revision: their holders were shown the item in that queue.
    op.execute(
        "INSERT INTO served (item_pk, user_id, queue, first_at) "
        "SELECT item_pk, user_id, min(queue), CURRENT_TIMESTAMP FROM leases "
        "GROUP BY item_pk, user_id"
    )


def downgrade() -> None:
    with op.batch_alter_table("leases") as batch_op:
        batch_op.drop_column("answered")
    op.drop_table("served")
