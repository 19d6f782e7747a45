"""The processed-updates job: forget handled update ids once no redelivery can come."""

from __future__ import annotations

from datetime import timedelta

from sendbot.core.jobs.registry import Job, JobContext, register


async def purge_processed_updates(context: JobContext) -> object:
    """Forget handled update ids after two days: Telegram stops redelivering long before."""
    before = context.services.clock() - timedelta(days=2)
    async with context.database.unit_of_work() as uow:
        return await uow.updates.purge(before)


PROCESSED_UPDATES_PURGE = register(
    Job("processed-updates-purge", timedelta(days=1), purge_processed_updates)
)
