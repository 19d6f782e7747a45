"""People, not chats: an officer is a person reached through one or more channels.

The chat identity of each officer (the keyed hash of their id on a channel, and the
encrypted address of their private chat) moves from `officers` to `officer_channels`;
`officers` keeps the person: the same ids, name, role and whether they are active.

On SQLite, dropping columns rebuilds `officers`, and dropping the old table with foreign
keys on fires the ON DELETE actions of the tables that point at it; so the officer
numbers on tickets, messages and invites are read first and written back afterwards.

Revision ID: 0010_people
Revises: 0009_web
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import sendbot.storage.models.base

revision: str = "0010_people"
down_revision: str | None = "0009_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sendbot.storage.models.base.UTCDateTime
CHAT_COLUMNS = ("channel", "officer_key", "chat_ref")
POINTING = ("tickets", "ticket_messages", "officer_invites")  # officer_id ... SET NULL


def upgrade() -> None:
    bind = op.get_bind()
    chats = _rows(bind, "SELECT id, channel, officer_key, chat_ref, created_at FROM officers")
    links = _officer_links(bind)
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_officers_officer_key"), type_="unique")
        for column in CHAT_COLUMNS:
            batch_op.drop_column(column)
    _restore_links(bind, links)
    op.create_table(
        "officer_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("officer_key", sa.String(length=64), nullable=False),
        sa.Column("chat_ref", sa.Text(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["officers.id"],
            name=op.f("fk_officer_channels_officer_id_officers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_channels")),
        sa.UniqueConstraint("officer_key", name=op.f("uq_officer_channels_officer_key")),
    )
    op.create_index("ix_officer_channels_officer", "officer_channels", ["officer_id"])
    if chats:
        bind.execute(
            sa.text(
                "INSERT INTO officer_channels (officer_id, channel, officer_key, chat_ref, "
                "created_at) VALUES (:id, :channel, :officer_key, :chat_ref, :created_at)"
            ),
            chats,
        )


def downgrade() -> None:
    """Put each officer's first channel back on the officer (any later channels are lost)."""
    bind = op.get_bind()
    firsts = _rows(
        bind,
        "SELECT c.officer_id AS id, c.channel, c.officer_key, c.chat_ref FROM officer_channels c "
        "WHERE c.id = (SELECT MIN(d.id) FROM officer_channels d WHERE d.officer_id = c.officer_id)",
    )
    links = _officer_links(bind)
    op.drop_index("ix_officer_channels_officer", table_name="officer_channels")
    op.drop_table("officer_channels")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("officer_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("chat_ref", sa.Text(), nullable=True))
    if firsts:
        bind.execute(
            sa.text(
                "UPDATE officers SET channel = :channel, officer_key = :officer_key, "
                "chat_ref = :chat_ref WHERE id = :id"
            ),
            [{**row, "chat_ref": row["chat_ref"] or ""} for row in firsts],
        )
    # An officer with no channel (a console account only) had no place before this revision.
    op.execute(
        "UPDATE officers SET officer_key = 'none:' || CAST(id AS VARCHAR), channel = 'none', "
        "chat_ref = '' WHERE officer_key IS NULL"
    )
    with op.batch_alter_table("officers", schema=None) as batch_op:
        for column in CHAT_COLUMNS:
            batch_op.alter_column(column, nullable=False)
        batch_op.create_unique_constraint(op.f("uq_officers_officer_key"), ["officer_key"])
    _restore_links(bind, links)


def _rows(bind: Any, sql: str) -> list[dict[str, Any]]:
    """Every row a query returns, as plain dictionaries."""
    return [dict(row._mapping) for row in bind.execute(sa.text(sql))]


def _pointing(name: str) -> Any:
    """A table that names an officer by number."""
    return sa.table(name, sa.column("id"), sa.column("officer_id"))


def _officer_links(bind: Any) -> dict[str, list[dict[str, Any]]]:
    """On SQLite, which officer each ticket, message and invite names (rebuilds lose them)."""
    if bind.dialect.name != "sqlite":
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    for name in POINTING:
        table = _pointing(name)
        query = sa.select(table.c.id, table.c.officer_id).where(table.c.officer_id.is_not(None))
        found[name] = [dict(row._mapping) for row in bind.execute(query)]
    return found


def _restore_links(bind: Any, links: dict[str, list[dict[str, Any]]]) -> None:
    """Write back the officer numbers `_officer_links` read."""
    for name, rows in links.items():
        if rows:
            table = _pointing(name)
            update = (
                sa.update(table)
                .where(table.c.id == sa.bindparam("row_id"))
                .values(officer_id=sa.bindparam("number"))
            )
            bind.execute(update, [{"row_id": r["id"], "number": r["officer_id"]} for r in rows])
