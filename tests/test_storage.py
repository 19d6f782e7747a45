"""Storage and migrations on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from sendbot.clock import system_clock
from sendbot.storage.db import Database, DatabaseUnavailable, alembic_config
from sendbot.storage.models import Conversation, JobLease, ProcessedUpdate


async def test_empty_database_is_migrated_to_current(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert await database.schema_state() == "empty"
        await database.ensure_ready()
        assert await database.schema_state() == "current"
        await database.ensure_ready()  # a second start changes nothing
        assert await database.schema_state() == "current"
    finally:
        await database.dispose()


async def test_downgrade_then_upgrade_round_trips(database_url: str) -> None:
    database = Database(database_url)
    try:
        await database.upgrade()
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
        assert await database.schema_state() in ("behind", "empty")
        await database.upgrade()
        assert await database.schema_state() == "current"
    finally:
        await database.dispose()


async def test_unit_of_work_commits_on_success(database: Database) -> None:
    async with database.unit_of_work() as uow:
        conversation = await uow.conversations.get_or_create("k1", "terminal")
        conversation.state = "asking"
    async with database.unit_of_work() as uow:
        stored = await uow.conversations.get("k1")
        assert stored is not None and stored.state == "asking"
        assert stored.created_at.tzinfo is not None


async def test_lock_or_create_creates_then_touches_keeping_the_state(database: Database) -> None:
    first, later = datetime(2026, 1, 5, 9, tzinfo=UTC), datetime(2026, 2, 1, 9, tzinfo=UTC)
    async with database.unit_of_work() as uow:
        new = await uow.conversations.lock_or_create("k3", "telegram", first)
        assert (new.state, new.data, new.active) == ("idle", {}, True)
        assert new.created_at == new.updated_at == first
        new.state, new.data, new.active = "asking", {"draft": "x"}, False
    async with database.unit_of_work() as uow:
        again = await uow.conversations.lock_or_create("k3", "telegram", later)
        assert (again.state, again.data, again.active) == ("asking", {"draft": "x"}, True)
        assert (again.created_at, again.updated_at) == (first, later)
    async with database.unit_of_work() as uow:
        stored = await uow.conversations.get("k3")
        assert stored is not None and stored.active and stored.updated_at == later
        count = await uow.session.scalar(select(func.count()).select_from(Conversation))
        assert count == 1


async def test_claim_and_lock_claims_once_then_touches_the_chat(database: Database) -> None:
    first, later = datetime(2026, 1, 5, 9, tzinfo=UTC), datetime(2026, 2, 1, 9, tzinfo=UTC)
    async with database.unit_of_work() as uow:
        new = await uow.conversations.claim_and_lock("telegram", 10, "k4", first)
        assert new is not None and (new.state, new.data, new.active) == ("idle", {}, True)
        new.state, new.active = "asking", False
    async with database.unit_of_work() as uow:
        assert await uow.conversations.claim_and_lock("telegram", 10, "k4", later) is None
        assert await uow.conversations.claim_and_lock("telegram", 10, "k5", later) is None
    async with database.unit_of_work() as uow:
        again = await uow.conversations.claim_and_lock("telegram", 11, "k4", later)
        assert again is not None and (again.state, again.active) == ("asking", True)
        assert (again.created_at, again.updated_at) == (first, later)
    async with database.unit_of_work() as uow:
        chats = await uow.session.scalar(select(func.count()).select_from(Conversation))
        claims = await uow.session.scalar(select(func.count()).select_from(ProcessedUpdate))
        assert (chats, claims) == (1, 2), "a duplicate neither creates nor touches a chat"


async def test_a_sqlite_connection_returned_mid_transaction_is_rolled_back(
    sqlite_database: Database,
) -> None:
    def insert_behind_sqlalchemys_back(connection: Connection) -> bool:
        cursor = connection.connection.cursor()
        cursor.execute("INSERT INTO job_leases (name, holder, lease_until) VALUES ('x', '', '')")
        cursor.close()
        return bool(connection.connection.driver_connection.in_transaction)

    async with sqlite_database.engine.connect() as connection:
        assert await connection.run_sync(insert_behind_sqlalchemys_back)
    async with sqlite_database.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(JobLease)) == 0


async def test_unit_of_work_rolls_back_on_error(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.unit_of_work() as uow:
            await uow.conversations.get_or_create("k2", "terminal")
            raise RuntimeError("boom")
    async with database.unit_of_work() as uow:
        result = await uow.session.execute(select(Conversation))
        assert result.scalars().all() == []


async def test_unreachable_database_gives_a_clear_error() -> None:
    database = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        with pytest.raises(DatabaseUnavailable, match="Cannot reach the database"):
            await database.ensure_ready()
    finally:
        await database.dispose()


async def test_foreign_tables_are_refused(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    try:
        async with database.engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE other (id INTEGER)")
        with pytest.raises(DatabaseUnavailable, match="not sendbot's"):
            await database.ensure_ready()
    finally:
        await database.dispose()


def test_the_schema_head_in_code_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from sendbot.storage.db import SCHEMA_HEAD

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_starting_on_a_current_database_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    program = f"""
import asyncio, sys
from sendbot.storage.db import Database

async def main():
    database = Database({url!r})
    await database.upgrade()
    for name in [m for m in sys.modules if m == "alembic" or m.startswith("alembic.")]:
        del sys.modules[name]
    await database.ensure_ready()
    print(await database.schema_state(), "alembic" in sys.modules)
    await database.dispose()

asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["current", "False"]


async def test_sqlite_writers_take_turns_instead_of_polling_the_lock(sqlite_url: str) -> None:
    database = Database(sqlite_url, connect_args={"timeout": 0.05})
    try:
        await database.upgrade()
        inside, most = 0, 0

        async def write(n: int) -> None:
            nonlocal inside, most
            async with database.unit_of_work() as uow:
                inside += 1
                most = max(most, inside)
                await uow.updates.claim("test", n, system_clock())
                await asyncio.sleep(0.01)  # the write lock is held across awaits
                inside -= 1

        # With a 50 ms busy timeout, writers racing for SQLite's lock would fail.
        await asyncio.wait_for(asyncio.gather(*(write(n) for n in range(30))), 30)
        assert most == 1
        async with database.unit_of_work() as uow:
            count = await uow.session.scalar(select(func.count()).select_from(ProcessedUpdate))
        assert count == 30
    finally:
        await database.dispose()


async def test_a_unit_of_work_inside_another_does_not_wait_for_itself(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    try:
        await database.upgrade()

        async def nested() -> None:
            async with database.unit_of_work() as outer:
                await outer.conversations.lock_or_create("k" * 64, "telegram", system_clock())
                async with database.unit_of_work() as inner:  # a read, as SQLite allows
                    assert await inner.conversations.get("other") is None
                await outer.updates.claim("test", 1, system_clock())

        await asyncio.wait_for(nested(), 10)
        await asyncio.wait_for(nested(), 10)  # and the turn was handed back
    finally:
        await database.dispose()
