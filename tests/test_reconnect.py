"""A connection the database closed: the message is handled again on a new one, once."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sendbot.app import open_app
from sendbot.config import Settings
from sendbot.core.messages import Inbound, InboundKind
from sendbot.storage.db import Database
from sendbot.storage.unit_of_work import UnitOfWork
from tests.conftest import PG_ADMIN_DSN


def start(update_id: int, chat: str = "42") -> Inbound:
    return Inbound("telegram", chat, InboundKind.COMMAND, "/start", update_id=update_id)


def lost() -> DBAPIError:
    """The error SQLAlchemy raises for a connection the server closed."""
    return DBAPIError("SELECT 1", {}, ConnectionError("closed"), connection_invalidated=True)


async def _backend_pids(database: Database) -> list[int]:
    """The server process of each connection this database has pooled (one, used in turn)."""
    async with database.unit_of_work() as uow:
        pid = (await uow.session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return [int(pid)]


async def _terminate(pids: list[int]) -> None:
    """Close connections from the server's side, as a restart would."""
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        for pid in pids:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_a_message_on_a_closed_connection_is_answered_properly(
    settings: Settings, postgres_url: str
) -> None:
    pg = settings.model_copy(update={"database_url": postgres_url})
    async with open_app(pg) as app:
        first = await app.dialogue.handle(start(1))
        await _terminate(await _backend_pids(app.database))
        replies = await app.dialogue.handle(start(2))
        apology = app.services.texts.get("error")
        assert [r.html for r in replies] == [r.html for r in first]
        assert apology not in [r.html for r in replies]
        assert await app.dialogue.handle(start(2)) == [], "the update was claimed once"


async def test_work_runs_again_only_when_nothing_was_committed(
    sqlite_database: Database,
) -> None:
    calls: list[int] = []

    async def fails_once(uow: UnitOfWork) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise lost()
        return "done"

    assert await sqlite_database.run(fails_once) == "done"
    assert len(calls) == 2


async def test_a_lost_commit_or_another_error_is_not_run_again() -> None:
    uow = UnitOfWork.__new__(UnitOfWork)
    uow._committing = False
    assert uow.may_run_again(lost())
    assert not uow.may_run_again(DBAPIError("SELECT 1", {}, ValueError("bad"), False))
    assert not uow.may_run_again(ValueError("not the database"))
    uow._committing = True
    assert not uow.may_run_again(lost()), "a commit was sent: its outcome is unknown"


async def test_work_that_keeps_failing_raises(sqlite_database: Database) -> None:
    async def always(uow: UnitOfWork) -> None:
        raise lost()

    with pytest.raises(DBAPIError):
        await sqlite_database.run(always)
