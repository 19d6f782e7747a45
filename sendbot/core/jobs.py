"""Scheduled work every adapter runs: each job is a coroutine taking a JobContext."""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sendbot.core.delivery_failures import reporter
from sendbot.core.outbox import Sender, deliver_due
from sendbot.core.services import Services
from sendbot.storage.db import Database


@dataclass
class JobContext:
    """What a scheduled job can use."""

    services: Services
    database: Database
    sender: Sender | None = None
    holder: str = field(default_factory=lambda: process_identity())


@dataclass(frozen=True)
class Job:
    """A named piece of work run every interval."""

    name: str
    interval: timedelta
    run: Callable[[JobContext], Awaitable[object]]
    everywhere: bool = False  # True: every process runs it (its rows are claimed one by one)


def process_identity() -> str:
    """A name for this process among the bot processes sharing the database."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


async def run_job(job: Job, context: JobContext) -> object | None:
    """Run a job here, unless it runs once across processes and another holds its lease."""
    if not job.everywhere:
        now = context.services.clock()
        # The lease ends a little before the next run, so a slow clock never skips one.
        until = now + job.interval * 0.9
        async with context.database.unit_of_work() as uow:
            if not await uow.leases.acquire(job.name, context.holder, now, until):
                return None
    return await job.run(context)


async def deliver_outbox(context: JobContext) -> object:
    """Deliver due outbox messages through the adapter's sender."""
    if context.sender is None:
        return None
    services = context.services
    return await deliver_due(
        context.database,
        services.keyring,
        context.sender,
        services.clock(),
        on_give_up=reporter(services),
    )


async def check_case_deadlines(context: JobContext) -> object:
    """Alert linked parents when a case's time limit passes with no next step."""
    from sendbot.core.cases.alerts import check_deadlines

    services = context.services
    return await check_deadlines(context.database, services.texts, services.clock())


async def purge_processed_updates(context: JobContext) -> object:
    """Forget handled update ids after two days: Telegram stops redelivering long before."""
    before = context.services.clock() - timedelta(days=2)
    async with context.database.unit_of_work() as uow:
        return await uow.updates.purge(before)


async def purge_expired_data(context: JobContext) -> object:
    """Delete or empty everything past its retention period (daily)."""
    from sendbot.core.privacy.retention import purge_expired

    services = context.services
    return await purge_expired(context.database, services.settings, services.clock())


def scheduled_jobs() -> list[Job]:
    """Every job the bot runs; features add theirs here."""
    from sendbot.core.escalation.jobs import escalation_jobs  # it imports this module

    return [
        Job("outbox", timedelta(seconds=5), deliver_outbox, everywhere=True),
        Job("retention-purge", timedelta(days=1), purge_expired_data),
        Job("case-deadlines", timedelta(hours=1), check_case_deadlines),
        Job("processed-updates-purge", timedelta(days=1), purge_processed_updates),
        *escalation_jobs(),
    ]
