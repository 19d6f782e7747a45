"""Security: fingerprints of the keys the data is under; failed attempts from every chat.

Revision ID: 0008_security
Revises: 0007
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sendbot.storage.models.base

revision: str = "0008_security"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "key_fingerprints",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column(
            "recorded_at", sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_key_fingerprints")),
    )
    op.create_table(
        "security_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("chat_key", sa.String(length=64), nullable=False),
        sa.Column("at", sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_failures")),
    )
    op.create_index("ix_security_failures_kind_at", "security_failures", ["kind", "at"])
    op.create_index(
        "ix_security_failures_kind_chat_at", "security_failures", ["kind", "chat_key", "at"]
    )
    op.create_index("ix_link_failures_at", "link_failures", ["at"])


def downgrade() -> None:
    op.drop_index("ix_link_failures_at", table_name="link_failures")
    op.drop_index("ix_security_failures_kind_chat_at", table_name="security_failures")
    op.drop_index("ix_security_failures_kind_at", table_name="security_failures")
    op.drop_table("security_failures")
    op.drop_table("key_fingerprints")
