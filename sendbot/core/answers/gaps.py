"""Knowledge gaps: questions the bot was unsure about, kept redacted for 90 days."""

from __future__ import annotations

from datetime import datetime, timedelta

from sendbot.core.escalation.officers import record
from sendbot.core.services import Services
from sendbot.storage.answers import GapSummary
from sendbot.storage.db import Database
from sendbot.storage.models import Officer
from sendbot.storage.unit_of_work import UnitOfWork

GAP_RETENTION_DAYS = 90
OFFICER_LIMIT = 50  # how many questions the console's page lists


async def report(
    uow: UnitOfWork, now: datetime, days: int = GAP_RETENTION_DAYS, limit: int = 20
) -> list[GapSummary]:
    """The most frequent gap questions of the last `days` days."""
    return await uow.gaps.most_frequent(since=now - timedelta(days=days), limit=limit)


async def for_officer(
    uow: UnitOfWork, services: Services, officer: Officer, limit: int = OFFICER_LIMIT
) -> list[GapSummary]:
    """The report as an officer reads it (the whole retention period); the read is audited."""
    rows = await report(uow, services.clock(), limit=limit)
    await record(uow, services, officer, "gaps.view", "gaps", "report")
    return rows


async def purge(uow: UnitOfWork, now: datetime, days: int = GAP_RETENTION_DAYS) -> int:
    """Delete gap questions older than `days`; return how many went."""
    return await uow.gaps.purge(now - timedelta(days=days))


async def gap_report(
    database: Database, now: datetime, days: int = GAP_RETENTION_DAYS, limit: int = 20
) -> list[GapSummary]:
    """`report` in a unit of work of its own."""
    async with database.unit_of_work() as uow:
        return await report(uow, now, days=days, limit=limit)


async def purge_gaps(database: Database, now: datetime, days: int = GAP_RETENTION_DAYS) -> int:
    """`purge` in a unit of work of its own."""
    async with database.unit_of_work() as uow:
        return await purge(uow, now, days=days)
