"""WhatsApp: outgoing messages held until the parent writes (the 24-hour rule).

Revision ID: 0012_whatsapp
Revises: 0015_rate_counters
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_whatsapp"
down_revision: str | None = "0015_rate_counters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("hold_key", sa.String(length=64), nullable=True))
    op.create_index("ix_outbox_hold", "outbox", ["hold_key"])


def downgrade() -> None:
    op.drop_index("ix_outbox_hold", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("hold_key")
