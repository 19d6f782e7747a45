"""The case-deadlines job: alert linked parents when a time limit passes with no next step."""

from __future__ import annotations

from datetime import timedelta

from sendbot.core.cases.alerts import check_deadlines
from sendbot.core.jobs.registry import Job, JobContext, register


async def check_case_deadlines(context: JobContext) -> object:
    """Alert linked parents when a case's time limit passes with no next step."""
    services = context.services
    return await check_deadlines(context.database, services.texts, services.clock())


CASE_DEADLINES = register(Job("case-deadlines", timedelta(hours=1), check_case_deadlines))
