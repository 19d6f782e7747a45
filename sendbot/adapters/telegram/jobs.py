"""The core's scheduled jobs (the outbox first of all) on PTB's job queue."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.ext import Application, JobQueue

from sendbot.app import App
from sendbot.core.jobs.registry import Job, JobContext, run_job
from sendbot.core.outbox import Sender
from sendbot.core.schedule import scheduled_jobs

FIRST_RUN_WITHIN = timedelta(seconds=30)

JobCallback = Callable[[Any], Coroutine[Any, Any, None]]


def job_callback(job: Job, context: JobContext) -> JobCallback:
    """A job-queue callback running one core job (once across processes, unless it may not)."""

    async def run(_: Any) -> None:
        await run_job(job, context)

    run.__name__ = f"sendbot_job_{job.name}"
    return run


def schedule_jobs(
    application: Application[Any, Any, Any, Any, Any, Any], app: App, sender: Sender
) -> list[str]:
    """Run every core job on the application's job queue; return their names."""
    queue = application.job_queue
    if not isinstance(queue, JobQueue):
        raise RuntimeError("PTB's job queue is missing: install python-telegram-bot[job-queue]")
    context = JobContext(services=app.services, database=app.database, sender=sender)
    names = []
    for job in scheduled_jobs():
        queue.run_repeating(
            job_callback(job, context),
            interval=job.interval,
            first=min(job.interval, FIRST_RUN_WITHIN),
            name=job.name,
        )
        names.append(job.name)
    return names
