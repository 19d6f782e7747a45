"""Outbox: the channel's id of a sent message, as a keyed hash, for later delivery reports.

Revision ID: 0018_provider_ref
Revises: 0017_oidc
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_provider_ref"
down_revision: str | None = "0017_oidc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("provider_ref", sa.String(length=64), nullable=True))
        batch.create_index("ix_outbox_provider_ref", ["provider_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_provider_ref")
        batch.drop_column("provider_ref")
