"""The outbox job: every process delivers due messages through its adapter's sender."""

from __future__ import annotations

from datetime import timedelta

from sendbot.core.delivery_failures import reporter
from sendbot.core.jobs.registry import Job, JobContext, register
from sendbot.core.outbox import deliver_due


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


OUTBOX = register(Job("outbox", timedelta(seconds=5), deliver_outbox, everywhere=True))
