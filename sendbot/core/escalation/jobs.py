"""Scheduled work for tickets: reminders at half time and when overdue, the leads' daily list.

Each registers itself in the job registry (sendbot/core/jobs/registry.py), from which any
adapter's runner schedules it. They run once across processes: the job lease lets one
process run them, the rows they touch are locked with SKIP LOCKED on PostgreSQL, and
every message has a dedupe key.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sendbot.core.cases.timefmt import LONDON
from sendbot.core.escalation.delivery import to_group, to_officer, to_person
from sendbot.core.escalation.officers import holder_name
from sendbot.core.escalation.tickets import age, kind_name, when
from sendbot.core.jobs.registry import Job, JobContext, register
from sendbot.core.messages import Button, Outbound
from sendbot.core.services import Services
from sendbot.storage.db import Database
from sendbot.storage.models import Ticket

DIGEST_FROM = time(8, 0)  # the leads' list goes after 08:00 UK time


async def send_reminders(database: Database, services: Services, now: datetime) -> int:
    """Remind the officer holding a ticket (or the group, if unclaimed) at half time and when
    it falls overdue; each reminder once. Returns how many were queued."""
    queued = 0
    async with database.unit_of_work() as uow:
        for ticket in await uow.tickets.reminders_due(now):
            overdue = ticket.overdue_reminded_at is None and ticket.due_at <= now
            kind = "overdue" if overdue else "half"
            if overdue:
                ticket.overdue_reminded_at = now
            if ticket.half_reminded_at is None:
                ticket.half_reminded_at = now
            message = _reminder(services, ticket, kind, now)
            holder = await uow.officers.get(ticket.officer_id) if ticket.officer_id else None
            if holder is not None and holder.active:
                await to_officer(uow, services, ticket.id, holder, message, f"remind-{kind}")
                queued += 1
            elif await to_group(uow, services, ticket, message, f"remind-{kind}") is not None:
                queued += 1
    return queued


def _reminder(services: Services, ticket: Ticket, kind: str, now: datetime) -> Outbound:
    """A reminder about one ticket: its reference, kind, age and due time, no content."""
    html = services.texts.get(
        f"escalation.remind.{kind}",
        reference=ticket.reference,
        kind=kind_name(services, ticket.kind),
        age=age(services, ticket.created_at, now),
        due=when(ticket.due_at),
    )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if ticket.officer_id is None:
        claim = Button(services.texts.get("escalation.group.claim"), f"o:c:{ticket.reference}")
        buttons = ((claim,),)
    return Outbound(html=html, buttons=buttons)


async def send_overdue_digest(database: Database, services: Services, now: datetime) -> int:
    """Once a day after 08:00 UK time, send each lead the list of overdue tickets."""
    local = now.astimezone(LONDON)
    if local.time() < DIGEST_FROM:
        return 0
    sent = 0
    async with database.unit_of_work() as uow:
        leads = await uow.officers.leads_locked()
        if not leads:
            return 0
        overdue = await uow.tickets.overdue(now)
        if not overdue:
            return 0
        officers = {o.id: o for o in await uow.officers.all(active_only=False)}
        texts = services.texts
        lines = [texts.get("escalation.digest.head", count=len(overdue))]
        for ticket in overdue:
            holder = officers.get(ticket.officer_id) if ticket.officer_id else None
            lines.append(
                texts.get(
                    "escalation.digest.line",
                    reference=ticket.reference,
                    kind=kind_name(services, ticket.kind),
                    due=when(ticket.due_at),
                    late=age(services, ticket.due_at, now),
                    holder=holder_name(services, holder),
                )
            )
        message = Outbound(html="\n".join(lines))
        for lead in leads:
            dedupe = f"overdue-digest:{local.date().isoformat()}:{lead.id}"
            _, queued = await to_person(uow, services, lead, message, dedupe, "ticket-digest")
            sent += int(queued > 0)
    return sent


async def ticket_reminders(context: JobContext) -> object:
    """Job: half-time and overdue reminders."""
    services = context.services
    return await send_reminders(context.database, services, services.clock())


async def overdue_digest(context: JobContext) -> object:
    """Job: the leads' daily overdue list."""
    services = context.services
    return await send_overdue_digest(context.database, services, services.clock())


TICKET_REMINDERS = register(Job("ticket-reminders", timedelta(minutes=10), ticket_reminders))
OVERDUE_DIGEST = register(Job("overdue-digest", timedelta(hours=1), overdue_digest))


def escalation_jobs() -> list[Job]:
    """The escalation jobs (registered on import, like every job)."""
    return [TICKET_REMINDERS, OVERDUE_DIGEST]
