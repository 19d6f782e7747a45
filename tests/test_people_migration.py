"""Migration 0010_people: officers as people, their chats moved to officer_channels.

A database is made at 0009_web, as the release before this one left it, with officers,
invites, tickets and messages in it; after the upgrade every officer keeps their number,
name, role and state, and is found and reached exactly as before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from alembic import command

from sendbot.core.escalation.delivery import to_officer
from sendbot.core.escalation.officers import officer_key
from sendbot.core.keyring import Keyring
from sendbot.core.messages import Outbound
from sendbot.core.services import Services
from sendbot.storage.db import Database, alembic_config
from sendbot.storage.models import OfficerChannel, OutboxMessage, UTCDateTime

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
KEYS = Keyring(["people-migration-test-key-0123456789"])


def _table(name: str, *columns: str, stamps: tuple[str, ...] = ()) -> Any:
    """A light table of the 0009 schema, with timestamps bound as the models bind them."""
    return sa.table(
        name, *(sa.column(c) for c in columns), *(sa.column(c, UTCDateTime()) for c in stamps)
    )


OFFICERS = _table(
    "officers", "id", "officer_key", "channel", "chat_ref", "name", "role", "active",
    stamps=("created_at",),
)  # fmt: skip
INVITES = _table(
    "officer_invites", "id", "code_hash", "role", "officer_id",
    stamps=("created_at", "expires_at", "used_at"),
)  # fmt: skip
TICKETS = _table(
    "tickets", "id", "reference", "draft_token", "kind", "status", "channel", "officer_id",
    stamps=("created_at", "half_at", "due_at", "claimed_at"),
)  # fmt: skip
MESSAGES = _table("ticket_messages", "id", "ticket_id", "author", "officer_id", stamps=("at",))

PEOPLE = [
    {"id": 3, "user": "701", "name": "Alice", "role": "officer", "active": True},
    {"id": 5, "user": "702", "name": None, "role": "lead", "active": True},
    {"id": 8, "user": "703", "name": "Bob", "role": "officer", "active": False},
]


def _officer_row(person: dict[str, Any]) -> dict[str, Any]:
    """An officers row as release 0009 stored it."""
    return {
        "id": person["id"],
        "officer_key": officer_key(KEYS, "telegram", person["user"]),
        "channel": "telegram",
        "chat_ref": KEYS.encrypt(person["user"]),
        "name": person["name"],
        "role": person["role"],
        "active": person["active"],
        "created_at": NOW,
    }


async def _make_0009(database: Database) -> None:
    """A database at 0009_web holding officers, an invite, a claimed ticket and a reply."""
    await database.upgrade("0009_web")
    async with database.engine.begin() as connection:
        await connection.execute(sa.insert(OFFICERS), [_officer_row(p) for p in PEOPLE])
        await connection.execute(
            sa.insert(INVITES),
            [
                {
                    "id": 1,
                    "code_hash": "h" * 64,
                    "role": "officer",
                    "officer_id": 3,
                    "created_at": NOW,
                    "expires_at": NOW + timedelta(days=7),
                    "used_at": NOW,
                }
            ],
        )
        await connection.execute(
            sa.insert(TICKETS),
            [
                {
                    "id": 1,
                    "reference": "T-ABC234",
                    "draft_token": "d1",
                    "kind": "question",
                    "status": "claimed",
                    "channel": "telegram",
                    "officer_id": 3,
                    "created_at": NOW,
                    "half_at": NOW + timedelta(days=5),
                    "due_at": NOW + timedelta(days=10),
                    "claimed_at": NOW,
                }
            ],
        )
        await connection.execute(
            sa.insert(MESSAGES),
            [{"id": 1, "ticket_id": 1, "author": "officer", "officer_id": 3, "at": NOW}],
        )


async def test_officers_keep_their_numbers_and_chats_through_the_upgrade(
    database_url: str,
) -> None:
    database = Database(database_url, clock=lambda: NOW)
    try:
        await _make_0009(database)
        await database.upgrade()
        assert await database.schema_state() == "current"
        async with database.unit_of_work() as uow:
            officers = {o.id: o for o in await uow.officers.all(active_only=False)}
            assert sorted(officers) == [3, 5, 8]
            for person in PEOPLE:
                officer = officers[person["id"]]
                assert (officer.name, officer.role, officer.active) == (
                    person["name"],
                    person["role"],
                    person["active"],
                )
                assert officer.created_at == NOW
                [channel] = officer.channels
                assert channel.channel == "telegram"
                assert channel.officer_key == officer_key(KEYS, "telegram", person["user"])
                assert channel.chat_ref and KEYS.decrypt(channel.chat_ref) == person["user"]
                assert channel.created_at == NOW
            # Found by their keyed id as before (an inactive officer only by any_officer_by_key).
            alice = await uow.officers.by_key(officer_key(KEYS, "telegram", "701"))
            assert alice is not None and alice.id == 3
            assert await uow.officers.by_key(officer_key(KEYS, "telegram", "703")) is None
            bob = await uow.officers.any_by_key(officer_key(KEYS, "telegram", "703"))
            assert bob is not None and bob.id == 8
            # Tickets, messages and invites still name the same people.
            ticket = await uow.tickets.by_reference("T-ABC234")
            assert ticket is not None and ticket.officer_id == 3
            assert [m.officer_id for m in await uow.tickets.messages(ticket.id)] == [3]
            invite = (await uow.session.execute(sa.select(INVITES.c.officer_id))).scalar_one()
            assert invite == 3
            # And a message to Alice reaches her chat.
            key = await to_officer(
                uow, cast(Services, _Services()), ticket.id, alice, Outbound(html="hi"), "t"
            )
        async with database.unit_of_work() as uow:
            row = (
                await uow.session.execute(
                    sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == key)
                )
            ).scalar_one()
            assert row.channel == "telegram" and KEYS.decrypt(row.chat_ref) == "701"
            assert await uow.session.scalar(sa.select(sa.func.count(OfficerChannel.id))) == 3
    finally:
        await database.dispose()


async def test_the_downgrade_puts_each_officers_chat_back(database_url: str) -> None:
    database = Database(database_url, clock=lambda: NOW)
    try:
        await _make_0009(database)
        await database.upgrade()
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "0009_web"))
            rows = (await connection.execute(sa.select(OFFICERS).order_by(OFFICERS.c.id))).all()
        found = [{**r._mapping, "chat_ref": KEYS.decrypt(r.chat_ref)} for r in rows]
        assert found == [{**_officer_row(p), "chat_ref": p["user"]} for p in PEOPLE]
        await database.upgrade()
        assert await database.schema_state() == "current"
    finally:
        await database.dispose()


class _Services:
    """The one part of the services delivery reads: the keyring."""

    keyring = KEYS
