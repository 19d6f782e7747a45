"""Tickets and their messages: a parent's side, the officers' side, and delivery status.

Reads a parent can trigger are scoped by the chat's keyed hash; reads an officer can
trigger are scoped by the officer (their own and unclaimed tickets; a lead sees all).
Texts are stored as the keyring's ciphertext and never decrypted here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update

from sendbot.storage.base_repository import SessionRepository
from sendbot.storage.models import (
    OfferFeedback,
    Officer,
    OutboxMessage,
    Ticket,
    TicketMessage,
)
from sendbot.storage.ticket_terms import add_terms

OPEN_STATUSES = ("open", "claimed")


def ticket_outbox_prefix(ticket_id: int) -> str:
    """The dedupe-key prefix of every outbox message about one ticket."""
    return f"ticket:{ticket_id}:"


class TicketRepository(SessionRepository):
    """Storage of tickets and of who may see them."""

    # Tickets: the parent's side.

    async def by_draft_token(self, token: str) -> Ticket | None:
        """The ticket a draft became, if it was submitted already."""
        query = select(Ticket).where(Ticket.draft_token == token)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_ticket(self, ticket: Ticket, terms: Iterable[str] = ()) -> Ticket:
        """Store a new ticket, and the search hashes of its text."""
        self.session.add(ticket)
        await self.session.flush()
        await add_terms(self.session, ticket.id, terms)
        return ticket

    async def reference_taken(self, reference: str) -> bool:
        """Whether a ticket or feedback reference is in use."""
        for model in (Ticket, OfferFeedback):
            query = select(model.id).where(model.reference == reference)
            if (await self.session.execute(query)).first() is not None:
                return True
        return False

    async def parent_ticket(self, chat_key: str, reference: str) -> Ticket | None:
        """One ticket, only if it belongs to the chat."""
        query = select(Ticket).where(Ticket.parent_key == chat_key, Ticket.reference == reference)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def parent_tickets(self, chat_key: str, open_only: bool = False) -> list[Ticket]:
        """A chat's tickets, newest first."""
        query = select(Ticket).where(Ticket.parent_key == chat_key)
        if open_only:
            query = query.where(Ticket.status.in_(OPEN_STATUSES))
        query = query.order_by(Ticket.created_at.desc(), Ticket.id.desc())
        return list((await self.session.execute(query)).scalars())

    async def close(self, ticket_id: int, by: str, now: datetime) -> bool:
        """Close an open ticket atomically; False if it was closed already."""
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status.in_(OPEN_STATUSES))
            .values(status="closed", closed_at=now, closed_by=by)
            .execution_options(synchronize_session=False)
        )
        await self._refresh(ticket_id)
        return bool(getattr(result, "rowcount", 0))

    async def rate(self, ticket_id: int, rating: int, now: datetime) -> bool:
        """Record the parent's rating of a closed ticket, once."""
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status == "closed", Ticket.rating.is_(None))
            .values(rating=rating, rated_at=now)
            .execution_options(synchronize_session=False)
        )
        await self._refresh(ticket_id)
        return bool(getattr(result, "rowcount", 0))

    # Tickets: the officers' side.

    async def by_reference(self, reference: str) -> Ticket | None:
        """A ticket by reference, for code that then checks who may see it."""
        query = select(Ticket).where(Ticket.reference == reference)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def claim(self, ticket_id: int, officer_id: int, now: datetime) -> bool:
        """Give an unclaimed ticket to one officer: a conditional UPDATE, so one wins."""
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status == "open", Ticket.officer_id.is_(None))
            .values(status="claimed", officer_id=officer_id, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        await self._refresh(ticket_id)
        return bool(getattr(result, "rowcount", 0))

    async def reassign(self, ticket_id: int, officer_id: int, now: datetime) -> bool:
        """Hand an open ticket to another officer."""
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status.in_(OPEN_STATUSES))
            .values(status="claimed", officer_id=officer_id, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        await self._refresh(ticket_id)
        return bool(getattr(result, "rowcount", 0))

    async def visible_open(self, officer: Officer) -> list[Ticket]:
        """Open tickets an officer may list, by due date: unclaimed and their own (leads: all)."""
        query = select(Ticket).where(Ticket.status.in_(OPEN_STATUSES))
        if officer.role != "lead":
            query = query.where(or_(Ticket.officer_id.is_(None), Ticket.officer_id == officer.id))
        query = query.order_by(Ticket.due_at, Ticket.id)
        return list((await self.session.execute(query)).scalars())

    async def reminders_due(self, now: datetime, limit: int = 200) -> list[Ticket]:
        """Open tickets owing a half-time or overdue reminder, locked (others' skipped)."""
        query = (
            select(Ticket)
            .where(
                Ticket.status.in_(OPEN_STATUSES),
                or_(
                    and_(Ticket.half_reminded_at.is_(None), Ticket.half_at <= now),
                    and_(Ticket.overdue_reminded_at.is_(None), Ticket.due_at <= now),
                ),
            )
            .order_by(Ticket.due_at, Ticket.id)
            .limit(limit)
        )
        return list((await self.session.execute(self._skip_locked(query))).scalars())

    async def overdue(self, now: datetime) -> list[Ticket]:
        """Every open ticket past its due date, most overdue first."""
        query = (
            select(Ticket)
            .where(Ticket.status.in_(OPEN_STATUSES), Ticket.due_at <= now)
            .order_by(Ticket.due_at, Ticket.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def counts_by_status(self) -> dict[str, int]:
        """How many tickets are in each status."""
        query = select(Ticket.status, func.count()).group_by(Ticket.status)
        return {status: int(n) for status, n in (await self.session.execute(query)).all()}

    # Messages.

    async def add_message(self, message: TicketMessage, terms: Iterable[str] = ()) -> TicketMessage:
        """Store one message on a ticket, and the search hashes of its text.

        The only place a message is added, so the only place that keeps the ticket's
        `waiting_on_parent` (its newest message is an officer's) true. The ticket's row is
        updated (and so locked) before the message takes its id, so messages added at
        once on one ticket take their ids in the order their flags are written.
        """
        await self.session.execute(
            update(Ticket)
            .where(Ticket.id == message.ticket_id)
            .values(waiting_on_parent=message.author == "officer")
        )
        self.session.add(message)
        await self.session.flush()
        await add_terms(self.session, message.ticket_id, terms)
        return message

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        """A ticket's messages, oldest first."""
        query = (
            select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.at, TicketMessage.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def deliveries(self, outbox_keys: Sequence[str]) -> dict[str, str]:
        """The outbox status ("pending", "sent", "undelivered", "failed") of some messages."""
        if not outbox_keys:
            return {}
        query = select(OutboxMessage.dedupe_key, OutboxMessage.status).where(
            OutboxMessage.dedupe_key.in_(list(outbox_keys))
        )
        return {key: status for key, status in (await self.session.execute(query)).all()}

    # Helpers.

    async def _refresh(self, ticket_id: int) -> None:
        """Reload a ticket after a conditional UPDATE, in case the session holds it."""
        query = select(Ticket).where(Ticket.id == ticket_id)
        await self.session.execute(query.execution_options(populate_existing=True))
