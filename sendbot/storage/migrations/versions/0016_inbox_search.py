"""Console inbox: whether a ticket waits for the parent, stored; and the search index.

`tickets.waiting_on_parent` says whether the newest message is an officer's (filled here
from the messages held); `ticket_terms` holds keyed hashes of the words in each ticket's
texts. The hashes need the keys, which a migration does not have: `sendbot keys reindex`
fills them for tickets from before this release.

Revision ID: 0016_inbox_search
Revises: 0014_outbox
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_inbox_search"
down_revision: str | None = "0014_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN, never batch mode's copy of the table: on SQLite, dropping the
    # old copy would cascade to the tickets' messages.
    op.add_column(
        "tickets",
        sa.Column("waiting_on_parent", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    tickets = sa.table("tickets", sa.column("id"), sa.column("waiting_on_parent", sa.Boolean()))
    newest = sa.table("ticket_messages", sa.column("id"), sa.column("ticket_id"),
                      sa.column("author")).alias("newest")  # fmt: skip
    later = sa.table("ticket_messages", sa.column("id"), sa.column("ticket_id")).alias("later")
    officer_last = (
        sa.select(newest.c.id)
        .where(
            newest.c.ticket_id == tickets.c.id,
            newest.c.author == "officer",
            ~sa.select(later.c.id)
            .where(later.c.ticket_id == newest.c.ticket_id, later.c.id > newest.c.id)
            .exists(),
        )
        .exists()
    )
    op.execute(tickets.update().where(officer_last).values(waiting_on_parent=sa.true()))
    op.create_index(
        "ix_tickets_waiting_due", "tickets", ["waiting_on_parent", "due_at", "status"]
    )
    op.create_table(
        "ticket_terms",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_terms_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "term", name=op.f("pk_ticket_terms")),
    )
    op.create_index("ix_ticket_terms_term", "ticket_terms", ["term", "ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_terms_term", table_name="ticket_terms")
    op.drop_table("ticket_terms")
    op.drop_index("ix_tickets_waiting_due", table_name="tickets")
    op.drop_column("tickets", "waiting_on_parent")  # SQLite 3.35+: ALTER TABLE DROP COLUMN
