"""The one registry of scheduled jobs: what a job is, what it may use, and how one runs."""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sendbot.core.outbox import Sender
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


_JOBS: dict[str, Job] = {}


def register(job: Job) -> Job:
    """Add a job to the registry (a module's import does it); two jobs may not share a name."""
    known = _JOBS.get(job.name)
    if known is not None and _origin(known) != _origin(job):
        raise ValueError(f"two scheduled jobs are named {job.name!r}")
    _JOBS[job.name] = job
    return job


def registered() -> list[Job]:
    """Every job registered so far, in the order they were registered."""
    return list(_JOBS.values())


def _origin(job: Job) -> str:
    """Where a job's function is defined (a module imported again registers it again)."""
    return f"{job.run.__module__}.{getattr(job.run, '__qualname__', '')}"


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
