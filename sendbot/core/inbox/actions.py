"""What only the console adds to a ticket: internal notes, and reopening a closed ticket.

Claim, reply, attach, close and assign are the escalation service's
(`sendbot.core.escalation.service.officers`), called by the console as by the chat
flows. Notes are for officers only: kept encrypted in ticket_notes, never sent to the
parent, erased with the ticket's content.
"""

from __future__ import annotations

from sqlalchemy import select, update

from sendbot.core.escalation.officers import record
from sendbot.core.escalation.results import EmptyText
from sendbot.core.services import Services
from sendbot.storage.models import Officer, Ticket, TicketNote
from sendbot.storage.unit_of_work import UnitOfWork

NOTE_CHARS = 4000


async def add_note(
    uow: UnitOfWork, services: Services, ticket: Ticket, officer: Officer, text: str
) -> TicketNote:
    """Keep an internal note on a ticket (encrypted; never sent to the parent)."""
    if not text.strip():
        raise EmptyText()
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
