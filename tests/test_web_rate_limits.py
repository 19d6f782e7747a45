"""Web chat rate limits kept in the database: shared by processes, windows, no addresses."""

from __future__ import annotations

from datetime import timedelta

from limits import parse
from limits.aio.strategies import FixedWindowRateLimiter
from sqlalchemy import select

from sendbot.clock import FrozenClock
from sendbot.storage.db import Database
from sendbot.storage.models import RateCounter
from sendbot.storage.rate_counters import DatabaseStorage
from tests.conftest import TEST_NOW


def storage_on(database: Database, clock: FrozenClock) -> DatabaseStorage:
    """A storage as a web process builds it (a keyed hash stands in for the keyring's)."""
    return DatabaseStorage(database, clock, lambda key: f"h:{hash(key) & 0xFFFFFFFF:08x}")


async def test_two_processes_share_one_count(database: Database, database_url: str) -> None:
    clock = FrozenClock(TEST_NOW)
    other = Database(database_url, clock=clock)  # a second process's engine, same database
    try:
        limit = parse("5/minute")
        first = FixedWindowRateLimiter(storage_on(database, clock))
        second = FixedWindowRateLimiter(storage_on(other, clock))
        allowed = [
            await (first if n % 2 else second).hit(limit, "web-ip", "203.0.113.9") for n in range(8)
        ]
        assert allowed == [True] * 5 + [False] * 3  # 5 in all, not 5 in each process
        assert await storage_on(other, clock).get(limit.key_for("web-ip", "203.0.113.9")) == 8
    finally:
        await other.dispose()


async def test_a_new_window_starts_when_the_last_one_ends(database: Database) -> None:
    clock = FrozenClock(TEST_NOW)
    limiter = FixedWindowRateLimiter(storage_on(database, clock))
    limit = parse("2/minute")
    assert [await limiter.hit(limit, "s", "chat") for _ in range(3)] == [True, True, False]
    stats = await limiter.get_window_stats(limit, "s", "chat")
    assert (
        stats.remaining == 0 and stats.reset_time == (TEST_NOW + timedelta(minutes=1)).timestamp()
    )
    clock.advance(timedelta(seconds=61))
    assert await limiter.hit(limit, "s", "chat")
    assert (await limiter.get_window_stats(limit, "s", "chat")).remaining == 1


async def test_counters_hold_keyed_hashes_and_ended_ones_are_purged(database: Database) -> None:
    clock = FrozenClock(TEST_NOW)
    storage = storage_on(database, clock)
    limiter = FixedWindowRateLimiter(storage)
    await limiter.hit(parse("5/minute"), "web-ip", "198.51.100.7")
    await limiter.hit(parse("5/hour"), "web-session", "abc")
    async with database.unit_of_work() as uow:
        keys = list((await uow.session.execute(select(RateCounter.key))).scalars())
    assert len(keys) == 2 and not any("198.51.100.7" in key for key in keys)
    assert await storage.purge_ended(TEST_NOW + timedelta(minutes=2)) == 1  # the minute's
    hourly = parse("5/hour").key_for("web-session", "abc")
    assert await storage.get(hourly) == 1
    await storage.clear(hourly)
    assert await storage.get(hourly) == 0
    assert await storage.check()


async def test_the_retention_job_removes_ended_counters(database: Database) -> None:
    from sendbot.config import Settings
    from sendbot.core.privacy.retention import purge_expired

    clock = FrozenClock(TEST_NOW)
    limiter = FixedWindowRateLimiter(storage_on(database, clock))
    await limiter.hit(parse("5/minute"), "web-ip", "192.0.2.1")
    report = await purge_expired(database, Settings(), TEST_NOW + timedelta(hours=1))
    assert report.rate_counters == 1
    assert (
        await storage_on(database, clock).get(parse("5/minute").key_for("web-ip", "192.0.2.1")) == 0
    )
