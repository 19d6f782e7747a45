"""aiosqlite connections whose cursors cost one trip fewer to the connection's thread.

aiosqlite runs each call on the connection's own thread and waits for the answer: a trip.
SQLAlchemy makes a cursor for every statement (one trip), runs it (another) and closes it
(a third). Here the cursor is made by its first statement, in the same trip, and when that
statement returns no rows (an INSERT or UPDATE) it is closed in that trip too; everything
else is aiosqlite's. Under SQLite's one writer at a time each trip is time another
message's transaction waits: a message's three statements take five trips, not ten.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from functools import partial
from typing import Any

import aiosqlite


class _Cursor:
    """An aiosqlite cursor that comes into being with its first statement."""

    def __init__(self, connection: FewerTripsConnection) -> None:
        self._connection: FewerTripsConnection = connection
        self._cursor: aiosqlite.Cursor | None = None
        self._closed = False  # closed on the thread already: it had no rows to read
        self._arraysize = 1

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _made(self) -> aiosqlite.Cursor:
        """The real cursor (a statement has run)."""
        if self._cursor is None:
            raise sqlite3.ProgrammingError("no statement has been executed on this cursor")
        return self._cursor

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> _Cursor:
        """Run a statement; the first (or the next, after one without rows) makes the cursor."""
        if self._cursor is None or self._closed:
            raw, self._closed = await self._connection.run_first(sql, parameters or ())
            self._cursor = aiosqlite.Cursor(self._connection, raw)
            self._cursor.arraysize = self._arraysize
        else:
            await self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> _Cursor:
        """Run a statement for each set of parameters."""
        if self._cursor is None or self._closed:
            self._closed = False
            self._cursor = await self._connection.executemany(sql, parameters)
            self._cursor.arraysize = self._arraysize
        else:
            await self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        """The next row, or None."""
        return await self._made().fetchone()

    async def fetchmany(self, size: int | None = None) -> Iterable[Any]:
        """Up to `size` (or `arraysize`) more rows."""
        return await self._made().fetchmany(size)

    async def fetchall(self) -> Iterable[Any]:
        """Every remaining row."""
        return await self._made().fetchall()

    async def close(self) -> None:
        """Close the real cursor, if one was made and is still open."""
        if self._cursor is not None and not self._closed:
            self._closed = True
            await self._cursor.close()

    @property
    def description(self) -> Any:
        """The columns of the last statement's rows (None before any)."""
        return None if self._cursor is None else self._cursor.description

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed (-1 before any)."""
        return -1 if self._cursor is None else self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        """The last inserted row's id."""
        return None if self._cursor is None else self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        """How many rows fetchmany returns by default."""
        return self._arraysize if self._cursor is None else self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value
        if self._cursor is not None:
            self._cursor.arraysize = value


class FewerTripsConnection(aiosqlite.Connection):
    """aiosqlite's connection, with cursors made by their first statement."""

    def cursor(self) -> _Cursor:  # type: ignore[override]
        """A cursor that costs no trip until its first statement."""
        return _Cursor(self)

    async def run_first(self, sql: str, parameters: Iterable[Any]) -> tuple[sqlite3.Cursor, bool]:
        """In one trip: a new cursor runs a statement; closed at once if it has no rows."""
        return await self._execute(_run_first, self._conn, sql, parameters)


def _run_first(
    connection: sqlite3.Connection, sql: str, parameters: Any
) -> tuple[sqlite3.Cursor, bool]:
    """On the connection's thread: run a statement on a new cursor, closing it if it has no
    rows (its rowcount and lastrowid can still be read)."""
    cursor = connection.execute(sql, parameters)
    if cursor.description is None:
        cursor.close()
        return cursor, True
    return cursor, False


def connect(database: str, iter_chunk_size: int = 64, **kwargs: Any) -> FewerTripsConnection:
    """Open a connection as `aiosqlite.connect` does (SQLAlchemy passes the same arguments)."""
    connection = FewerTripsConnection(partial(sqlite3.connect, database, **kwargs), iter_chunk_size)
    connection._thread.daemon = True  # as SQLAlchemy makes aiosqlite's own: exit never waits
    return connection
