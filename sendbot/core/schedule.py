"""Every scheduled job: importing each job module registers its jobs; runners read the list."""

from __future__ import annotations

# Each import registers that module's jobs, in this order.
import sendbot.core.cases.jobs
import sendbot.core.escalation.jobs
import sendbot.core.jobs.outbox
import sendbot.core.jobs.updates
import sendbot.core.privacy.jobs  # noqa: F401
from sendbot.core.jobs.registry import Job, registered


def scheduled_jobs() -> list[Job]:
    """Every job the bot runs, from the registry; a feature adds its own by registering."""
    return registered()
