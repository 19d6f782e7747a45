"""One clock: only sendbot/clock.py reads the system time; everything else is handed it."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sendbot.clock import FrozenClock, system_clock

PACKAGE = Path(__file__).resolve().parent.parent / "sendbot"
THE_CLOCK = PACKAGE / "clock.py"
# Calls that read the wall clock. perf_counter and monotonic measure durations, not dates.
FORBIDDEN = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}


def clock_reads(source: str) -> list[str]:
    """The wall-clock reads in a module's source, as 'line: owner.name'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        if (name, node.func.attr) in FORBIDDEN:
            found.append(f"{node.lineno}: {name}.{node.func.attr}")
    return found


def test_only_the_clock_module_reads_the_system_time() -> None:
    files = [p for p in PACKAGE.rglob("*.py") if p != THE_CLOCK]
    assert len(files) > 50
    offenders = [
        f"{path.relative_to(PACKAGE)}:{read}"
        for path in files
        for read in clock_reads(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "line",
    [
        "datetime.now(UTC)",
        "dt.datetime.now()",
        "datetime.datetime.utcnow()",
        "date.today()",
        "dt.date.today()",
        "time.time()",
    ],
)
def test_the_check_catches_every_way_of_reading_the_clock(line: str) -> None:
    assert len(clock_reads(f"import datetime, time\nx = {line}\n")) == 1


def test_the_check_leaves_durations_and_arithmetic_alone() -> None:
    source = "import time\nt = time.perf_counter()\nu = time.monotonic()\nd = now.date()\n"
    assert clock_reads(source) == []


def test_a_frozen_clock_stands_still_until_moved() -> None:
    moment = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    clock = FrozenClock(moment)
    assert clock() == clock() == moment
    assert clock.advance(timedelta(days=1)) == moment + timedelta(days=1)
    clock.set(moment)
    assert clock() == moment
    with pytest.raises(ValueError):
        FrozenClock(datetime(2026, 11, 23))


def test_the_system_clock_is_aware_and_in_utc() -> None:
    now = system_clock()
    assert now.tzinfo is UTC


async def test_the_database_stamps_rows_with_its_clock(tmp_path: Path) -> None:
    from sendbot.storage.db import Database
    from sendbot.storage.models import Conversation

    clock = FrozenClock(datetime(2031, 5, 6, 7, 8, tzinfo=UTC))
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'stamps.db'}", clock=clock)
    try:
        await database.ensure_ready()
        async with database.unit_of_work() as uow:
            row = Conversation(chat_key="k", channel="terminal", state="idle", data={})
            uow.session.add(row)
            await uow.session.flush()
            assert row.created_at == row.updated_at == clock()
        clock.advance(timedelta(days=3))
        async with database.unit_of_work() as uow:
            touched = await uow.conversations.lock_or_create("k", "terminal", clock())
            assert touched.updated_at == datetime(2031, 5, 9, 7, 8, tzinfo=UTC)
            assert touched.created_at == datetime(2031, 5, 6, 7, 8, tzinfo=UTC)
    finally:
        await database.dispose()
