"""Outbox: every reply of a turn goes through it, so it also holds edits and files.

Revision ID: 0014_outbox
Revises: 0011_console (chained after main's rate counters when merged)
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_outbox"
down_revision: str | None = "0011_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("edit_of", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("document", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("document")
        batch.drop_column("edit_of")
