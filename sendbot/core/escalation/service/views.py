"""A ticket as its readers see it: decrypted, with its messages, holder and shared case."""

from __future__ import annotations

from sendbot.core.escalation.notices import Desk
from sendbot.core.escalation.results import Entry, SharedCase, TicketView
from sendbot.storage.models import Officer, Ticket
from sendbot.storage.unit_of_work import UnitOfWork


async def ticket_view(uow: UnitOfWork, desk: Desk, ticket: Ticket) -> TicketView:
    """Everything held on a ticket, decrypted: for code that audited who reads it."""
    keyring = desk.services.keyring
    officers = await officers_by_number(uow)
    case = None
    if ticket.case_ref:
        cases = await uow.cases.cases_by_id([ticket.case_id]) if ticket.case_id else {}
        stage = cases[ticket.case_id].stage if ticket.case_id in cases else None
        case = SharedCase(reference=keyring.reveal(ticket.case_ref), stage=stage)
    messages = await uow.tickets.messages(ticket.id)
    delivery = await uow.tickets.deliveries([m.outbox_key for m in messages if m.outbox_key])
    return TicketView(
        ticket=ticket,
        holder=officers.get(ticket.officer_id) if ticket.officer_id else None,
        now=desk.now(),
        text=keyring.reveal(ticket.body),
        case=case,
        entries=[
            Entry(
                message=m,
                officer=officers.get(m.officer_id) if m.officer_id else None,
                text=keyring.reveal(m.body) if m.body else "",
                delivery=delivery.get(m.outbox_key or "", "pending"),
            )
            for m in messages
        ],
    )


async def officers_by_number(uow: UnitOfWork) -> dict[int, Officer]:
    """Every officer, active or not, by number."""
    return {o.id: o for o in await uow.officers.all(active_only=False)}
