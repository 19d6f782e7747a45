"""One ticket as the console shows it: the summary anyone may list, or the full view.

The summary is what the officers' group sees (reference, kind, dates and a short redacted
excerpt). The full view, for the officer holding the ticket or a lead, adds the text,
the case reference only if the parent shared it, the messages with their delivery, and
the internal notes; showing it is audited as a read (and as a read of the case).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sendbot.core.escalation import tickets as ticketing
from sendbot.core.escalation.notices import Desk
from sendbot.core.escalation.officers import internal_name, record
from sendbot.core.escalation.service.officers import record_read
from sendbot.core.inbox import actions, sla
from sendbot.core.services import Services
from sendbot.storage.models import Officer, Ticket
from sendbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Item:
    """One entry of a ticket's thread: a message either way, or an internal note."""

    at: datetime
    kind: str  # "parent", "officer" or "note"
    who: str
    text: str
    delivery: str | None = None


@dataclass
class TicketView:
    """What the ticket page shows."""

    ticket: Ticket
    state: str
    holder: Officer | None
    holder_name: str
    excerpt: str = ""
    text: str | None = None
    case_reference: str | None = None
    case_stage: str | None = None
    items: list[Item] = field(default_factory=list)


async def summary(uow: UnitOfWork, services: Services, ticket: Ticket) -> TicketView:
    """The group summary's content: no parent, no case, a short redacted excerpt."""
    officers = {o.id: o for o in await uow.officers.all(active_only=False)}
    holder = officers.get(ticket.officer_id) if ticket.officer_id else None
    names = await ticketing.child_names(uow, services, ticket.parent_key)
    text = ticketing.open_text(services, ticket.body)
    now = services.clock()
    return TicketView(
        ticket=ticket,
        state=sla.of(ticket.status, ticket.due_at, ticket.waiting_on_parent, now),
        holder=holder,
        holder_name=internal_name(services, holder) if holder else "Nobody yet",
        excerpt=ticketing.excerpt(services, text, names),
    )


async def full(uow: UnitOfWork, desk: Desk, ticket: Ticket, reader: Officer) -> TicketView:
    """Everything the holder or a lead may read; the read is audited (as the service does)."""
    services = desk.services
    view = await summary(uow, services, ticket)
    view.text = ticketing.open_text(services, ticket.body)
    if ticket.case_ref:
        view.case_reference = ticketing.open_text(services, ticket.case_ref)
        cases = await uow.cases.cases_by_id([ticket.case_id]) if ticket.case_id else {}
        case = cases.get(ticket.case_id) if ticket.case_id else None
        view.case_stage = case.stage if case is not None else None
    officers = {o.id: o for o in await uow.officers.all(active_only=False)}
    messages = await uow.tickets.messages(ticket.id)
    delivery = await uow.tickets.deliveries([m.outbox_key for m in messages if m.outbox_key])
    items = []
    for message in messages:
        body = ticketing.open_text(services, message.body) if message.body else ""
        if message.entry_id:
            entry = services.kb.get(message.entry_id)
            body = f"Attached: {entry.title if entry else message.entry_id}"
        if message.author == "parent":
            items.append(Item(message.at, "parent", "Parent", body))
        else:
            who = internal_name(services, officers.get(message.officer_id or 0))
            status = delivery.get(message.outbox_key or "", "pending")
            items.append(Item(message.at, "officer", who, body, status))
    for note in await actions.notes(uow, ticket):
        who = internal_name(services, officers.get(note.officer_id or 0))
        items.append(Item(note.at, "note", who, ticketing.open_text(services, note.body)))
    view.items = sorted(items, key=lambda item: item.at)
    await record_read(uow, desk, reader, ticket)
    return view


async def summary_read(uow: UnitOfWork, desk: Desk, ticket: Ticket, reader: Officer) -> TicketView:
    """The summary, its view audited."""
    view = await summary(uow, desk.services, ticket)
    await record(uow, desk.services, reader, "ticket.summary_read", ticket.reference)
    return view
