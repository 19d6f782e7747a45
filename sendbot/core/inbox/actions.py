"""What an officer does to a ticket from the console, on the escalation domain's rules.

Replies, attachments and closing use the escalation module (each reaches the parent on
their own channel through the outbox); claims and assignments made in the console are
recorded without a private chat message, since the console shows the ticket itself.
Notes are for officers only: kept encrypted in ticket_notes, never sent to the parent.
"""

from __future__ import annotations

from sqlalchemy import select, update

from sendbot.core.escalation import tickets as ticketing
from sendbot.core.escalation.officers import record
from sendbot.core.services import Services
from sendbot.storage.models import Officer, Ticket, TicketNote
from sendbot.storage.unit_of_work import UnitOfWork

CONSOLE = "console"
NOTE_CHARS = 4000


async def claim(uow: UnitOfWork, services: Services, ticket: Ticket, officer: Officer) -> bool:
    """Take an unclaimed ticket; False if someone else took it first."""
    if officer.channel != CONSOLE:
        return await ticketing.claim(uow, services, ticket, officer)
    if not await uow.tickets.claim(ticket.id, officer.id, services.clock()):
        return False
    await record(uow, services, officer, "ticket.claim", ticket.reference)
    return True


async def assign(
    uow: UnitOfWork, services: Services, ticket: Ticket, lead: Officer, to: Officer
) -> bool:
    """A lead gives an open ticket to an officer (a chat officer also gets its text)."""
    if to.channel != CONSOLE:
        return await ticketing.reassign(uow, services, ticket, lead, to)
    if not await uow.tickets.reassign(ticket.id, to.id, services.clock()):
        return False
    await record(uow, services, lead, "ticket.reassign", ticket.reference, to=to.id)
    return True


async def add_note(
    uow: UnitOfWork, services: Services, ticket: Ticket, officer: Officer, text: str
) -> TicketNote:
    """Keep an internal note on a ticket (encrypted; never sent to the parent)."""
    note = TicketNote(
        ticket_id=ticket.id,
        officer_id=officer.id,
        at=services.clock(),
        body=services.keyring.encrypt(text[:NOTE_CHARS]),
    )
    uow.session.add(note)
    await uow.session.flush()
    await record(uow, services, officer, "ticket.note", ticket.reference, note=note.id)
    return note


async def notes(uow: UnitOfWork, ticket: Ticket) -> list[TicketNote]:
    """A ticket's notes, oldest first."""
    query = select(TicketNote).where(TicketNote.ticket_id == ticket.id).order_by(TicketNote.id)
    return list((await uow.session.execute(query)).scalars())


async def reopen(uow: UnitOfWork, services: Services, ticket: Ticket, officer: Officer) -> bool:
    """Open a closed ticket again (held by whoever held it); False if it was not closed."""
    result = await uow.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == "closed")
        .values(status="claimed" if ticket.officer_id else "open", closed_at=None, closed_by=None)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return False
    await uow.session.refresh(ticket)
    await record(uow, services, officer, "ticket.reopen", ticket.reference)
    return True
