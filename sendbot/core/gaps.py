"""Knowledge gaps: questions the bot was unsure about, kept redacted for 90 days."""

from __future__ import annotations

from datetime import datetime, timedelta

from sendbot.storage.answers import GapSummary
from sendbot.storage.db import Database

GAP_RETENTION_DAYS = 90


async def purge_gaps(database: Database, now: datetime, days: int = GAP_RETENTION_DAYS) -> int:
    """Delete gap questions older than `days`; return how many went."""
    async with database.unit_of_work() as uow:
        return await uow.gaps.purge(now - timedelta(days=days))


async def gap_report(
    database: Database, now: datetime, days: int = GAP_RETENTION_DAYS, limit: int = 20
) -> list[GapSummary]:
    """The most frequent gap questions of the last `days` days."""
    async with database.unit_of_work() as uow:
        return await uow.gaps.most_frequent(since=now - timedelta(days=days), limit=limit)
