"""The retention job: delete or empty everything past its time, once a day."""

from __future__ import annotations

from datetime import timedelta

from sendbot.core.jobs.registry import Job, JobContext, register
from sendbot.core.privacy.retention import purge_expired


async def purge_expired_data(context: JobContext) -> object:
    """Delete or empty everything past its retention period (daily)."""
    services = context.services
    return await purge_expired(context.database, services.settings, services.clock())


RETENTION_PURGE = register(Job("retention-purge", timedelta(days=1), purge_expired_data))
