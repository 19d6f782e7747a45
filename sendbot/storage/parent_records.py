"""A parent's rights (issue 8) over their tickets: everything held, read back, and erasure.

This module decrypts only in `for_parent`, with the keyring it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sendbot.storage.base_repository import SessionRepository
from sendbot.storage.models import (
    AuditRecord,
    OfferFeedback,
    OutboxMessage,
    Ticket,
    TicketMessage,
    TicketNote,
)
from sendbot.storage.officer_repository import OfficerRepository
from sendbot.storage.ticket_repository import TicketRepository, ticket_outbox_prefix
from sendbot.storage.ticket_terms import delete_terms


class Decrypter(Protocol):
    """Anything that turns the keyring's ciphertext back into text."""

    def reveal(self, token: str | None) -> str | None:
        """Decrypt a stored value; None if it was erased or cannot be read."""


@dataclass(frozen=True)
class ParentMessage:
    """One message on a parent's ticket, as the parent may see it."""

    at: datetime
    author: str  # "parent" or "officer"
    officer_name: str | None
    officer_role: str | None
    text: str | None
    entry_id: str | None
    delivery: str | None  # the outbox status of a message sent to the parent


@dataclass(frozen=True)
class OfficerAccess:
    """An officer's read of or action on a parent's ticket, from the audit log."""

    at: datetime
    officer_id: int | None
    officer_name: str | None
    officer_role: str | None
    action: str


@dataclass(frozen=True)
class ParentTicket:
    """Everything held about one of a parent's tickets, decrypted for the parent."""

    reference: str
    kind: str
    status: str
    created_at: datetime
    due_at: datetime
    closed_at: datetime | None
    rating: int | None
    text: str | None
    case_reference: str | None
    messages: list[ParentMessage] = field(default_factory=list)
    accesses: list[OfficerAccess] = field(default_factory=list)


class ParentRecordsRepository(SessionRepository):
    """What is held about a parent's tickets: read back for them, erased on request or age."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self.tickets = TicketRepository(session)
        self.officers = OfficerRepository(session)

    async def for_parent(self, chat_key: str, keys: Decrypter) -> list[ParentTicket]:
        """Everything held about a parent's tickets, decrypted, with the officers who opened them.

        Newest ticket first; each with its messages (and their delivery status) and the
        audited reads and actions of officers (who and when), oldest first.
        """
        tickets = await self.tickets.parent_tickets(chat_key)
        if not tickets:
            return []
        officers = {o.id: o for o in await self.officers.all(active_only=False)}
        by_ticket: dict[int, list[TicketMessage]] = {t.id: [] for t in tickets}
        query = (
            select(TicketMessage)
            .where(TicketMessage.ticket_id.in_(list(by_ticket)))
            .order_by(TicketMessage.at, TicketMessage.id)
        )
        for row in (await self.session.execute(query)).scalars():
            by_ticket[row.ticket_id].append(row)
        delivery = await self.tickets.deliveries(
            [m.outbox_key for found in by_ticket.values() for m in found if m.outbox_key]
        )
        by_reference: dict[str, list[AuditRecord]] = {t.reference: [] for t in tickets}
        query_audit = (
            select(AuditRecord)
            .where(
                AuditRecord.subject_type == "ticket",
                AuditRecord.subject_id.in_(list(by_reference)),
                AuditRecord.actor.like("officer:%"),
            )
            .order_by(AuditRecord.id)
        )
        for record in (await self.session.execute(query_audit)).scalars():
            by_reference[record.subject_id].append(record)

        def access(record: AuditRecord) -> OfficerAccess:
            """One audited officer read or action, with who did it."""
            officer_id = _actor_id(record.actor)
            officer = officers.get(officer_id) if officer_id is not None else None
            return OfficerAccess(
                at=record.at,
                officer_id=officer_id,
                officer_name=officer.name if officer else None,
                officer_role=officer.role if officer else None,
                action=record.action,
            )

        def message(m: TicketMessage) -> ParentMessage:
            """One message on the ticket, decrypted for the parent."""
            officer = officers.get(m.officer_id) if m.officer_id is not None else None
            return ParentMessage(
                at=m.at,
                author=m.author,
                officer_name=officer.name if officer else None,
                officer_role=officer.role if officer else None,
                text=keys.reveal(m.body),
                entry_id=m.entry_id,
                delivery=delivery.get(m.outbox_key) if m.outbox_key else None,
            )

        return [
            ParentTicket(
                reference=ticket.reference,
                kind=ticket.kind,
                status=ticket.status,
                created_at=ticket.created_at,
                due_at=ticket.due_at,
                closed_at=ticket.closed_at,
                rating=ticket.rating,
                text=keys.reveal(ticket.body),
                case_reference=keys.reveal(ticket.case_ref),
                messages=[message(m) for m in by_ticket[ticket.id]],
                accesses=[access(r) for r in by_reference[ticket.reference]],
            )
            for ticket in tickets
        ]

    async def strip_parent_content(self, chat_key: str, at: datetime) -> int:
        """Erase the content of a parent's tickets, keeping the rows (and so the counts).

        Texts, the shared case, the parent's chat and the link to their chat key go;
        outbox copies of the tickets' messages are deleted. Returns how many tickets.
        """
        tickets = await self.tickets.parent_tickets(chat_key)
        erased_at = at
        for ticket in tickets:
            await self._strip(ticket, erased_at)
            ticket.parent_key = None
        await self.session.flush()
        return len(tickets)

    async def strip_closed_before(self, before: datetime, at: datetime) -> int:
        """Erase the content of tickets closed before a time (retention); return how many."""
        query = select(Ticket).where(
            Ticket.status == "closed",
            Ticket.closed_at < before,
            Ticket.content_erased_at.is_(None),
        )
        tickets = list((await self.session.execute(self._skip_locked(query))).scalars())
        erased_at = at
        for ticket in tickets:
            await self._strip(ticket, erased_at)
        await self.session.flush()
        return len(tickets)

    async def _strip(self, ticket: Ticket, at: datetime) -> None:
        """Erase one ticket's content, its messages' bodies, its notes and its search hashes.

        The messages stay (author and time, without text), so whether the ticket waits
        for the parent is unchanged.
        """
        await delete_terms(self.session, ticket.id)
        ticket.body = None
        ticket.case_ref = None
        ticket.case_id = None
        ticket.parent_ref = None
        ticket.content_erased_at = at
        await self.session.execute(
            update(TicketMessage)
            .where(TicketMessage.ticket_id == ticket.id)
            .values(body=None)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(TicketNote)
            .where(TicketNote.ticket_id == ticket.id)
            .values(body=None)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(OfferFeedback)
            .where(OfferFeedback.ticket_id == ticket.id)
            .values(text=None, response=None)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like(ticket_outbox_prefix(ticket.id) + "%"))
            .execution_options(synchronize_session=False)
        )


def _actor_id(actor: str) -> int | None:
    """The officer id in an audit actor such as 'officer:12'."""
    _, _, number = actor.partition(":")
    return int(number) if number.isdigit() else None
