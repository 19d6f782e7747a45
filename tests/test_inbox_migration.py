"""Migration 0016_inbox_search: the waiting state filled from the messages, then search.

A database is made at 0014_outbox (the release before) with tickets and messages in it;
after the upgrade each ticket waits for the parent exactly when an officer wrote last,
the inbox's paused filter agrees, and `rebuild_terms` (what `sendbot keys reindex` runs)
makes the old tickets searchable. Encryption key rotation leaves the hashes valid; a
process with another hashing key is refused before it can rotate or reindex anything.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from sendbot.core.escalation.reindex import rebuild_terms
from sendbot.core.inbox.listing import Filters, inbox
from sendbot.core.keyring import Keyring
from sendbot.core.privacy.fingerprints import KeyMismatch, check_keys
from sendbot.core.privacy.rotation import rotate_keys
from sendbot.storage.db import Database
from sendbot.storage.models import Officer, Ticket, TicketTerm, UTCDateTime

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
OLD, NEW = "inbox-migration-old-key-0123456789", "inbox-migration-new-key-0123456789"
KEYS = Keyring([OLD])
TICKETS = sa.table(
    "tickets", *(sa.column(c) for c in ("id", "reference", "draft_token", "kind", "status",
                                         "channel", "body")),
    *(sa.column(c, UTCDateTime()) for c in ("created_at", "half_at", "due_at")),
)  # fmt: skip
MESSAGES = sa.table(
    "ticket_messages", *(sa.column(c) for c in ("id", "ticket_id", "author", "body")),
    sa.column("at", UTCDateTime()),
)  # fmt: skip
# Ticket id: the authors of its messages, oldest first.
THREADS = {1: ["officer"], 2: ["officer", "parent"], 3: [], 4: ["parent", "officer"], 5: ["parent"]}
WAITING = {1: True, 2: False, 3: False, 4: True, 5: False}


def _ticket(ticket_id: int) -> dict[str, Any]:
    return {
        "id": ticket_id, "reference": f"T-ABC23{ticket_id}", "draft_token": f"d{ticket_id}",
        "kind": "question", "status": "open", "channel": "telegram",
        "body": KEYS.encrypt(f"School transport question number {ticket_id}"),
        "created_at": NOW, "half_at": NOW + timedelta(days=5), "due_at": NOW + timedelta(days=10),
    }  # fmt: skip


async def _make_0014(database: Database) -> None:
    """A database at 0014_outbox holding tickets with and without replies."""
    await database.upgrade("0014_outbox")
    messages, number = [], 0
    for ticket_id, authors in THREADS.items():
        for step, author in enumerate(authors):
            number += 1
            text = KEYS.encrypt("Tribunal" if author == "officer" else "Thank you")
            messages.append({"id": number, "ticket_id": ticket_id, "author": author,
                             "body": text, "at": NOW + timedelta(minutes=step)})  # fmt: skip
    async with database.engine.begin() as connection:
        await connection.execute(sa.insert(TICKETS), [_ticket(t) for t in THREADS])
        await connection.execute(sa.insert(MESSAGES), messages)


async def _found(database: Database, keyring: Keyring, filters: Filters) -> list[str]:
    lead = Officer(id=99, role="lead")
    async with database.unit_of_work() as uow:
        listing = await inbox(uow, lead, filters, NOW, keyring)
    return [row.reference for row in listing.rows]


async def test_the_upgrade_fills_the_waiting_state_and_reindexing_makes_old_tickets_searchable(
    database_url: str,
) -> None:
    database = Database(database_url, clock=lambda: NOW)
    try:
        await _make_0014(database)
        await database.upgrade()
        assert await database.schema_state() == "current"
        async with database.unit_of_work() as uow:
            rows = (await uow.session.execute(select(Ticket.id, Ticket.waiting_on_parent))).all()
            assert dict(rows) == WAITING
            assert (await uow.session.execute(select(func.count(TicketTerm.term)))).scalar() == 0
            assert len(await uow.tickets.messages(2)) == 2  # the messages are all still there
        paused = await _found(database, KEYS, Filters(state="paused"))
        assert sorted(paused) == ["T-ABC231", "T-ABC234"]
        assert await _found(database, KEYS, Filters(search="transport")) == []
        assert await rebuild_terms(database, KEYS, batch=2) == 5
        assert len(await _found(database, KEYS, Filters(search="transport"))) == 5
        officer_wrote = await _found(database, KEYS, Filters(search="tribunal school"))
        assert sorted(officer_wrote) == ["T-ABC231", "T-ABC232", "T-ABC234"]
        assert await rebuild_terms(database, KEYS) == 5  # safe to re-run
        assert len(await _found(database, KEYS, Filters(search="transport"))) == 5
    finally:
        await database.dispose()


async def test_rotation_keeps_the_search_and_another_hashing_key_is_refused(
    database_url: str,
) -> None:
    database = Database(database_url, clock=lambda: NOW)
    try:
        await _make_0014(database)
        await database.upgrade()
        await check_keys(database, KEYS, NOW)
        await rebuild_terms(database, KEYS)
        async with database.unit_of_work() as uow:
            before = set((await uow.session.execute(select(TicketTerm.term))).scalars())
        rolled = Keyring([NEW, OLD], hash_secret=OLD)
        await check_keys(database, rolled, NOW)
        report = await rotate_keys(database, rolled)
        assert report.rotated >= 10 and report.unreadable == 0
        async with database.unit_of_work() as uow:
            after = set((await uow.session.execute(select(TicketTerm.term))).scalars())
        assert after == before  # the hashes use the stable hashing key, not the encryption key
        newest = Keyring([NEW], hash_secret=OLD)
        assert len(await _found(database, newest, Filters(search="Transport"))) == 5
        assert await rebuild_terms(database, newest) == 5  # reads the re-encrypted texts
        assert len(await _found(database, newest, Filters(search="transport"))) == 5
        # A new hashing key would hash every word differently: refused outright.
        assert Keyring([NEW]).term("transport") != newest.term("transport")
        with pytest.raises(KeyMismatch):
            await check_keys(database, Keyring([NEW]), NOW)
    finally:
        await database.dispose()


async def test_sendbot_keys_reindex_indexes_old_tickets_and_refuses_another_key(
    sqlite_url: str, env_for_cli: dict[str, str]
) -> None:
    database = Database(sqlite_url, clock=lambda: NOW)
    try:
        await _make_0014(database)
        await database.upgrade()
    finally:
        await database.dispose()

    def reindex(secret: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sendbot", "keys", "reindex"],
            capture_output=True,
            text=True,
            env=dict(env_for_cli, SENDBOT_SECRET_KEY=secret),
            timeout=120,
            check=False,
        )

    done = reindex(OLD)
    assert done.returncode == 0, done.stderr
    assert "search index rebuilt for 5 tickets" in done.stdout
    database = Database(sqlite_url, clock=lambda: NOW)
    try:
        assert len(await _found(database, KEYS, Filters(search="school"))) == 5
    finally:
        await database.dispose()
    refused = reindex(NEW)  # another hashing key: refused, nothing changed
    assert refused.returncode == 2 and "do not match" in refused.stderr
    assert OLD not in refused.stderr + done.stdout and NEW not in refused.stderr
