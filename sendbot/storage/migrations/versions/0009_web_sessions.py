"""Web chat: the visible history of each web session, encrypted.

Revision ID: 0009_web
Revises: 0008_security
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sendbot.storage.models.base

revision: str = "0009_web"
down_revision: str | None = "0008_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_key", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sendbot.storage.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_messages")),
    )
    op.create_index("ix_web_messages_chat", "web_messages", ["chat_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_web_messages_chat", table_name="web_messages")
    op.drop_table("web_messages")
