"""Officers' console single sign-on: pending OpenID Connect sign-ins and linked identities.

Revision ID: 0017_oidc
Revises: 0014_outbox (the lead re-chains it at merge)
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sendbot.storage.models.base

revision: str = "0017_oidc"
down_revision: str | None = "0016_inbox_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sendbot.storage.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "console_oidc_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.Text(), nullable=False),
        sa.Column("code_verifier", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("expires_at", UTC(timezone=True), nullable=False),
        sa.Column("used_at", UTC(timezone=True), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("done_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["console_accounts.id"],
            name=op.f("fk_console_oidc_logins_account_id_console_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_oidc_logins")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_console_oidc_logins_state_hash")),
    )
    op.create_index(
        op.f("ix_console_oidc_logins_browser_hash"), "console_oidc_logins", ["browser_hash"]
    )
    op.create_index(
        op.f("ix_console_oidc_logins_expires_at"), "console_oidc_logins", ["expires_at"]
    )
    op.create_table(
        "console_oidc_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity_key", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=512), nullable=False),
        sa.Column("linked_at", UTC(timezone=True), nullable=False),
        sa.Column("last_used_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["console_accounts.id"],
            name=op.f("fk_console_oidc_identities_account_id_console_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_oidc_identities")),
        sa.UniqueConstraint("identity_key", name=op.f("uq_console_oidc_identities_identity_key")),
    )
    op.create_index(
        op.f("ix_console_oidc_identities_account_id"), "console_oidc_identities", ["account_id"]
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_console_oidc_identities_account_id"), table_name="console_oidc_identities"
    )
    op.drop_table("console_oidc_identities")
    op.drop_index(op.f("ix_console_oidc_logins_expires_at"), table_name="console_oidc_logins")
    op.drop_index(op.f("ix_console_oidc_logins_browser_hash"), table_name="console_oidc_logins")
    op.drop_table("console_oidc_logins")
