"""review order for items no round has ranked yet

Items get ``labels.priority = random_key - 1`` at import: below every priority a round
assigns (>= 0), in the fixed random order of ``random_key``. The review queue is then one
ordered walk of ``ix_labels_status_priority`` per status, never a sort of the whole queue.
This gives the items imported before this revision the same value.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 05:10:00
"""

from collections.abc import Sequence

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


def downgrade() -> None:
    op.execute("UPDATE labels SET priority = NULL WHERE priority < 0")
