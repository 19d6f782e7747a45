"""Scheduled work every adapter runs: each job is a coroutine taking a JobContext."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sendbot.core.outbox import Sender, deliver_due
from sendbot.core.services import Services
from sendbot.storage.db import Database


@dataclass
class JobContext:
    """What a scheduled job can use."""

    services: Services
    database: Database
    sender: Sender | None = None


@dataclass(frozen=True)
class Job:
    """A named piece of work run every interval."""

    name: str
    interval: timedelta
    run: Callable[[JobContext], Awaitable[object]]


async def deliver_outbox(context: JobContext) -> object:
    """Deliver due outbox messages through the adapter's sender."""
    if context.sender is None:
        return None
    return await deliver_due(
        context.database, context.services.keyring, context.sender, context.services.clock()
    )


async def purge_knowledge_gaps(context: JobContext) -> object:
    """Delete redacted knowledge-gap questions older than 90 days."""
    from sendbot.core.gaps import purge_gaps

    return await purge_gaps(context.database, context.services.clock())


async def check_case_deadlines(context: JobContext) -> object:
    """Alert linked parents when a case's time limit passes with no next step."""
    from sendbot.core.cases.alerts import check_deadlines

    services = context.services
    return await check_deadlines(context.database, services.texts, services.clock())


def scheduled_jobs() -> list[Job]:
    """Every job the bot runs; features add theirs here."""
    return [
        Job("outbox", timedelta(seconds=5), deliver_outbox),
        Job("knowledge-gaps-purge", timedelta(days=1), purge_knowledge_gaps),
        Job("case-deadlines", timedelta(hours=1), check_case_deadlines),
    ]
