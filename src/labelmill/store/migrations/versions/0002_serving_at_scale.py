"""serving at scale: review order for unranked items, answer counters

Two changes that keep each labeling request independent of the project's size:

- Items get ``labels.priority = random_key - 1`` at import: below every priority a round
  assigns (>= 0), in the fixed random order of ``random_key``. The review queue is then one
  ordered walk of ``ix_labels_status_priority`` per status, never a sort of the whole queue.
  Items imported before this revision get the same value here.
- ``counters``: running counts kept in the transaction that changes them (people's answers
  per queue, read by the review queue's audit quota on every request), instead of counting
  the votes each time. Filled here from the votes already stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE labels SET priority = "
        "(SELECT items.random_key - 1 FROM items WHERE items.pk = labels.item_pk) "
        "WHERE priority IS NULL"
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # What labelmill.review.count_answer counts: people's answers (not withdrawals) per queue.
    op.execute(
        "INSERT INTO counters (name, value) "
        "SELECT 'answers:' || votes.queue, count(*) FROM votes "
        "JOIN sources ON sources.id = votes.source_id "
        "WHERE sources.kind = 'human' AND votes.label != -1 AND votes.queue IS NOT NULL "
        "GROUP BY votes.queue"
    )


def downgrade() -> None:
    op.drop_table("counters")
    op.execute("UPDATE labels SET priority = NULL WHERE priority < 0")
