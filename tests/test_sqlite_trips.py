"""SQLite connections that take fewer trips to aiosqlite's thread, and still behave."""

from __future__ import annotations

from typing import Any

import aiosqlite
from sqlalchemy import text

from sendbot.clock import system_clock
from sendbot.storage import sqlite_trips
from sendbot.storage.db import Database


async def test_a_cursor_runs_reads_and_runs_again(tmp_path: Any) -> None:
    connection = await sqlite_trips.connect(str(tmp_path / "t.db"))
    try:
        cursor = connection.cursor()
        assert (cursor.description, cursor.rowcount, cursor.lastrowid) == (None, -1, None)
        await cursor.execute("CREATE TABLE t (a INTEGER)")
        await cursor.execute("INSERT INTO t VALUES (?), (?)", (1, 2))
        assert (cursor.rowcount, cursor.lastrowid) == (2, 2)
        await cursor.executemany("INSERT INTO t VALUES (?)", [(3,), (4,)])
        assert cursor.rowcount == 2
        await cursor.execute("SELECT a FROM t ORDER BY a")
        assert cursor.description[0][0] == "a"
        assert await cursor.fetchone() == (1,)
        assert list(await cursor.fetchmany(2)) == [(2,), (3,)]
        assert list(await cursor.fetchall()) == [(4,)]
        await cursor.execute("UPDATE t SET a = a + 1")
        assert cursor.rowcount == 4
        await cursor.close()
        await cursor.close()
    finally:
        await connection.close()


async def test_a_message_takes_a_trip_per_statement(
    sqlite_database: Database, monkeypatch: Any
) -> None:
    trips: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", "?"))
        return await real(self, fn, *args, **kwargs)

    async with sqlite_database.unit_of_work() as uow:
        await uow.session.execute(text("SELECT 1"))
    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    async with sqlite_database.unit_of_work() as uow:
        conversation = await uow.conversations.claim_and_lock("telegram", 1, "k", system_clock())
        assert conversation is not None
        conversation.state = "asking"
    # claim, upsert (run, read, close), update, commit: 6 trips, not 12
    assert len(trips) == 6, trips
