"""The audit log detects any edited, removed or reordered record."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update

from sendbot.core.audit import Verdict, append, verify
from sendbot.core.keyring import Keyring
from sendbot.storage.db import Database
from sendbot.storage.models import AuditRecord

KEYS = Keyring(["audit-test-key"])
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def fill(database: Database, count: int = 5) -> None:
    for n in range(count):
        async with database.unit_of_work() as uow:
            await append(
                uow.session,
                KEYS,
                actor=f"officer-{n % 2}",
                action="ticket.read",
                subject_type="ticket",
                subject_id=f"T-{n}",
                at=T0 + timedelta(minutes=n),
                detail={"n": n},
            )


async def verdict(database: Database, keyring: Keyring = KEYS) -> Verdict:
    async with database.unit_of_work() as uow:
        return await verify(uow.session, keyring)


@pytest.fixture
async def audited(database: Database) -> Database:
    await fill(database)
    return database


async def test_intact_log_verifies(audited: Database) -> None:
    result = await verdict(audited)
    assert (result.ok, result.checked) == (True, 5)


async def test_edited_row_is_named(audited: Database) -> None:
    async with audited.unit_of_work() as uow:
        await uow.session.execute(
            update(AuditRecord).where(AuditRecord.id == 3).values(actor="someone-else")
        )
    result = await verdict(audited)
    assert (result.ok, result.bad_id) == (False, 3)
    assert "content" in result.reason


async def test_removed_row_is_caught_at_the_next(audited: Database) -> None:
    async with audited.unit_of_work() as uow:
        await uow.session.execute(delete(AuditRecord).where(AuditRecord.id == 2))
    result = await verdict(audited)
    assert (result.ok, result.bad_id) == (False, 3)


async def test_removed_last_row_is_caught(audited: Database) -> None:
    async with audited.unit_of_work() as uow:
        await uow.session.execute(delete(AuditRecord).where(AuditRecord.id == 5))
    result = await verdict(audited)
    assert result.ok is False and "end of the log" in result.reason


async def test_reordered_rows_are_caught(audited: Database) -> None:
    async with audited.unit_of_work() as uow:
        await uow.session.execute(update(AuditRecord).where(AuditRecord.id == 2).values(id=100))
        await uow.session.execute(update(AuditRecord).where(AuditRecord.id == 4).values(id=2))
        await uow.session.execute(update(AuditRecord).where(AuditRecord.id == 100).values(id=4))
    result = await verdict(audited)
    assert (result.ok, result.bad_id) == (False, 2)


async def test_a_different_key_cannot_vouch_for_the_log(audited: Database) -> None:
    result = await verdict(audited, Keyring(["another-key"]))
    assert result.ok is False


async def test_concurrent_appends_keep_one_chain(database: Database) -> None:
    async def one(n: int) -> None:
        async with database.unit_of_work() as uow:
            await append(
                uow.session,
                KEYS,
                actor="officer",
                action="case.read",
                subject_type="case",
                subject_id=str(n),
                at=T0,
            )

    await asyncio.gather(*(one(n) for n in range(12)))
    result = await verdict(database)
    assert (result.ok, result.checked) == (True, 12)


async def test_cli_verify_and_show(sqlite_url: str, env_for_cli: dict[str, str]) -> None:
    env = dict(env_for_cli, SENDBOT_SECRET_KEY="audit-test-key")
    database = Database(sqlite_url)
    await database.ensure_ready()
    await fill(database)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sendbot", "audit", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    good = run("verify")
    assert good.returncode == 0 and "intact: 5 records" in good.stdout
    shown = run("show", "--officer", "officer-1")
    assert [line.split()[0] for line in shown.stdout.splitlines()] == ["2", "4"]
    by_ticket = run("show", "--ticket", "T-3", "--json")
    assert '"subject": "ticket:T-3"' in by_ticket.stdout
    async with database.unit_of_work() as uow:
        await uow.session.execute(
            update(AuditRecord).where(AuditRecord.id == 4).values(detail={"n": 99})
        )
    await database.dispose()
    bad = run("verify")
    assert bad.returncode == 1 and "record 4" in bad.stdout
