"""Running the scheduled jobs in a process that has no job queue of its own (web, WhatsApp)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import timedelta

from sendbot.core.jobs.registry import Job, JobContext, run_job

log = logging.getLogger(__name__)

OUTBOX_EVERY = timedelta(seconds=2)


async def run_jobs(context: JobContext, stop: asyncio.Event, jobs: Iterable[Job]) -> None:
    """Run these jobs until `stop`: the outbox every two seconds, others as scheduled.

    The caller passes `core.schedule.scheduled_jobs()`, or a part of it.
    """

    async def loop(job: Job) -> None:
        interval = OUTBOX_EVERY if job.name == "outbox" else job.interval
        while not stop.is_set():
            try:
                await run_job(job, context)
            except Exception as error:  # a failed run is retried at the next interval
                log.error("job %s failed: %s", job.name, type(error).__name__)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval.total_seconds()):
                    await stop.wait()

    await asyncio.gather(*(loop(job) for job in jobs))
