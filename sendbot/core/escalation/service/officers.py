"""The officers' side of tickets: the queue, a ticket's view, claim, reply, close, reassign.

Every function takes the unit of work, the desk and the officer asking; a ticket they may
not open is refused exactly as an unknown one is (`TicketNotFound`). Every read of a
ticket's content, and every action, is written to the audit log.
"""

from __future__ import annotations

from sendbot.core.escalation import terms as search
from sendbot.core.escalation.notices import Desk
from sendbot.core.escalation.officers import may_open, record
from sendbot.core.escalation.results import (
    AlreadyClaimed,
    EmptyText,
    NoSuchEntry,
    NoSuchOfficer,
    NotALead,
    Queue,
    Reassigned,
    Replied,
    TextTooLong,
    TicketClosed,
    TicketNotFound,
    TicketSummary,
    TicketView,
)
from sendbot.core.escalation.service.views import officers_by_number, ticket_view
from sendbot.core.escalation.tickets import open_text
from sendbot.storage.models import Officer, Ticket, TicketMessage
from sendbot.storage.unit_of_work import UnitOfWork

ENTRY_DATA_BYTES = 64  # an attached entry is opened with a button: "e:ID" must fit in one


async def queue(uow: UnitOfWork, desk: Desk, officer: Officer) -> Queue:
    """Open tickets by due date that this officer may list: unclaimed and theirs (a lead: all)."""
    tickets = await uow.tickets.visible_open(officer)
    await record(
        uow,
        desk.services,
        officer,
        "ticket.list",
        "open",
        subject_type="tickets",
        count=len(tickets),
    )
    now = desk.now()
    officers = await officers_by_number(uow)
    return Queue(
        tickets=[
            TicketSummary(
                ticket=t,
                holder=officers.get(t.officer_id) if t.officer_id else None,
                overdue=t.due_at <= now,
            )
            for t in tickets
        ],
        everything=officer.role == "lead",
    )


async def visible(uow: UnitOfWork, officer: Officer, reference: str | None) -> Ticket:
    """A ticket whose content this officer may open (they hold it, or they are a lead)."""
    ticket = await uow.tickets.by_reference(reference) if reference else None
    if ticket is None or not may_open(officer, ticket):
        raise TicketNotFound(reference or "")
    return ticket


async def view(uow: UnitOfWork, desk: Desk, officer: Officer, reference: str | None) -> TicketView:
    """A ticket's full view for an officer who may open it; the read is audited."""
    ticket = await visible(uow, officer, reference)
    return await read(uow, desk, officer, ticket)


async def read(uow: UnitOfWork, desk: Desk, officer: Officer, ticket: Ticket) -> TicketView:
    """Build a ticket's full view and audit this officer's read of it (and of its case)."""
    found = await ticket_view(uow, desk, ticket)
    await record_read(uow, desk, officer, ticket)
    return found


async def record_read(uow: UnitOfWork, desk: Desk, officer: Officer, ticket: Ticket) -> None:
    """Audit an officer's read of a ticket's full view, and of the case it shares."""
    await record(uow, desk.services, officer, "ticket.read", ticket.reference)
    if ticket.case_ref:
        await record(
            uow,
            desk.services,
            officer,
            "case.read",
            open_text(desk.services, ticket.case_ref),
            subject_type="case",
            ticket=ticket.reference,
        )


async def claim(uow: UnitOfWork, desk: Desk, officer: Officer, reference: str | None) -> Ticket:
    """Take an unclaimed ticket; the officer is then sent its full view (an audited read)."""
    ticket = await uow.tickets.by_reference(reference) if reference else None
    if ticket is None:
        raise TicketNotFound(reference or "")
    if not await uow.tickets.claim(ticket.id, officer.id, desk.now()):
        if ticket.status == "closed":
            raise TicketClosed(ticket)
        holder = await uow.officers.get(ticket.officer_id) if ticket.officer_id else None
        raise AlreadyClaimed(ticket, holder)
    await record(uow, desk.services, officer, "ticket.claim", ticket.reference)
    await _hand(uow, desk, ticket, officer, "claimed")
    return ticket


async def reply(
    uow: UnitOfWork, desk: Desk, officer: Officer, reference: str | None, text: str
) -> Replied:
    """Keep an officer's reply and send it to the parent on the ticket's channel."""
    ticket = await _open(uow, officer, reference)
    if not text:
        raise EmptyText()
    limit = desk.services.settings.max_message_chars
    if len(text) > limit:
        raise TextTooLong(len(text), limit)
    return await _answer(uow, desk, ticket, officer, text=text)


async def attach(
    uow: UnitOfWork, desk: Desk, officer: Officer, reference: str | None, entry_id: str
) -> tuple[Replied, str]:
    """Send the parent a knowledge entry on an open ticket; (the reply, the entry's title)."""
    ticket = await visible(uow, officer, reference)
    wanted = entry_id.strip()
    entry = desk.services.kb.get(wanted.lower())
    if entry is None or len(f"e:{entry.id}".encode()) > ENTRY_DATA_BYTES:
        near = [c.entry for c in desk.services.retriever.ask(wanted).candidates][:3]
        raise NoSuchEntry(wanted, near if wanted else [])
    if ticket.status == "closed":
        raise TicketClosed(ticket)
    return await _answer(uow, desk, ticket, officer, entry_id=entry.id), entry.title


async def close(uow: UnitOfWork, desk: Desk, officer: Officer, reference: str | None) -> Ticket:
    """Close a ticket this officer may open; the parent is told and asked to rate the help."""
    ticket = await visible(uow, officer, reference)
    if not await uow.tickets.close(ticket.id, "officer", desk.now()):
        raise TicketClosed(ticket)
    await record(uow, desk.services, officer, "ticket.close", ticket.reference)
    await desk.notices.closed_by_officer(uow, ticket, officer)
    return ticket


async def reassign(
    uow: UnitOfWork, desk: Desk, lead: Officer, reference: str | None, number: str
) -> Reassigned:
    """A lead hands an open ticket to another active officer, who is sent its full view."""
    if lead.role != "lead":
        raise NotALead()
    number = number.lstrip("#").strip()
    target = await uow.officers.get(int(number)) if number.isdigit() else None
    ticket = await visible(uow, lead, reference)
    if target is None or not target.active:
        raise NoSuchOfficer(number)
    if not await uow.tickets.reassign(ticket.id, target.id, desk.now()):
        raise TicketClosed(ticket)
    await record(uow, desk.services, lead, "ticket.reassign", ticket.reference, to=target.id)
    await _hand(uow, desk, ticket, target, "reassigned")
    return Reassigned(ticket, target)


async def team(uow: UnitOfWork, lead: Officer) -> list[Officer]:
    """Every active officer, by number: for a lead only."""
    if lead.role != "lead":
        raise NotALead()
    return await uow.officers.all()


async def _open(uow: UnitOfWork, officer: Officer, reference: str | None) -> Ticket:
    """A ticket this officer may open that is still open."""
    ticket = await visible(uow, officer, reference)
    if ticket.status == "closed":
        raise TicketClosed(ticket)
    return ticket


async def _answer(
    uow: UnitOfWork,
    desk: Desk,
    ticket: Ticket,
    officer: Officer,
    text: str = "",
    entry_id: str | None = None,
) -> Replied:
    """Keep an officer's reply (or attached entry), send it to the parent, audit it."""
    message = await uow.tickets.add_message(
        TicketMessage(
            ticket_id=ticket.id,
            at=desk.now(),
            author="officer",
            officer_id=officer.id,
            body=desk.services.keyring.encrypt(text) if text else None,
            entry_id=entry_id,
        ),
        search.hashes(desk.services.keyring, [text]),
    )
    message.outbox_key = await desk.notices.replied(uow, ticket, officer, message, text)
    action = "ticket.attach" if entry_id else "ticket.reply"
    await record(uow, desk.services, officer, action, ticket.reference, message=message.id)
    return Replied(ticket, message, reached=ticket.parent_ref is not None)


async def _hand(uow: UnitOfWork, desk: Desk, ticket: Ticket, officer: Officer, key: str) -> None:
    """Send an officer who now holds a ticket its full view, and audit that read."""
    found = await ticket_view(uow, desk, ticket)
    await desk.notices.handed(uow, officer, found, f"{key}:{desk.now().isoformat()}")
    await record_read(uow, desk, officer, ticket)
