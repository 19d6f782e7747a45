"""Tickets, their messages, officers, invites and Local Offer feedback.

Reads a parent can trigger are scoped by the chat's keyed hash; reads an officer can
trigger are scoped by the officer (their own and unclaimed tickets; a lead sees all).
Texts are stored as the keyring's ciphertext; this module never sees plain text except
in `for_parent`, which decrypts with the keyring it is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sendbot.storage.models import (
    AuditRecord,
    OfferFeedback,
    Officer,
    OfficerChannel,
    OfficerInvite,
    OutboxMessage,
    Ticket,
    TicketMessage,
    TicketNote,
)
from sendbot.storage.ticket_terms import add_terms, delete_terms

OPEN_STATUSES = ("open", "claimed")
T = TypeVar("T")


class Decrypter(Protocol):
    """Anything that turns the keyring's ciphertext back into text."""

    def reveal(self, token: str | None) -> str | None:
        """Decrypt a stored value; None if it was erased or cannot be read."""


def ticket_outbox_prefix(ticket_id: int) -> str:
    """The dedupe-key prefix of every outbox message about one ticket."""
    return f"ticket:{ticket_id}:"


def officer_actor(officer_id: int) -> str:
    """How an officer is named in the audit log."""
    return f"officer:{officer_id}"


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


class TicketRepository:
    """Storage of tickets and of who may see them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Officers and invites.

    async def add_invite(self, code_hash: str, role: str, at: datetime, expires: datetime) -> None:
        """Store a new invite code's hash."""
        self.session.add(
            OfficerInvite(code_hash=code_hash, role=role, created_at=at, expires_at=expires)
        )
        await self.session.flush()

    async def use_invite(self, code_hash: str, now: datetime) -> OfficerInvite | None:
        """Spend a valid invite atomically; None if unknown, used or expired."""
        result = await self.session.execute(
            update(OfficerInvite)
            .where(
                OfficerInvite.code_hash == code_hash,
                OfficerInvite.used_at.is_(None),
                OfficerInvite.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 0):
            return None
        query = select(OfficerInvite).where(OfficerInvite.code_hash == code_hash)
        return (await self.session.execute(query)).scalar_one()

    async def officer_by_key(self, officer_key: str) -> Officer | None:
        """An active officer by the keyed hash of their id on one of their channels."""
        query = (
            select(Officer)
            .join(OfficerChannel, OfficerChannel.officer_id == Officer.id)
            .where(OfficerChannel.officer_key == officer_key, Officer.active.is_(True))
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def any_officer_by_key(self, officer_key: str) -> Officer | None:
        """An officer by key, active or not."""
        found = await self.channel_by_key(officer_key)
        return await self.officer(found.officer_id) if found is not None else None

    async def channel_by_key(self, officer_key: str) -> OfficerChannel | None:
        """One officer channel by its keyed hash."""
        query = select(OfficerChannel).where(OfficerChannel.officer_key == officer_key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def officer(self, officer_id: int) -> Officer | None:
        """An officer by id."""
        return await self.session.get(Officer, officer_id)

    async def add_officer(self, officer: Officer) -> Officer:
        """Store a new officer."""
        self.session.add(officer)
        await self.session.flush()
        return officer

    async def officers(self, active_only: bool = True) -> list[Officer]:
        """Every officer, by id."""
        query = select(Officer).order_by(Officer.id)
        if active_only:
            query = query.where(Officer.active.is_(True))
        return list((await self.session.execute(query)).scalars())

    async def remove_officer(self, officer_id: int) -> int | None:
        """Deactivate an officer and put their open tickets back unclaimed; None if unknown."""
        officer = await self.session.get(Officer, officer_id)
        if officer is None:
            return None
        officer.active = False
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.officer_id == officer_id, Ticket.status == "claimed")
            .values(status="open", officer_id=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )
        await self.session.flush()
        return int(getattr(result, "rowcount", 0) or 0)

    async def open_counts_by_officer(self) -> dict[int, int]:
        """How many open tickets each officer holds."""
        query = (
            select(Ticket.officer_id, func.count())
            .where(Ticket.status.in_(OPEN_STATUSES), Ticket.officer_id.is_not(None))
            .group_by(Ticket.officer_id)
        )
        rows = (await self.session.execute(query)).all()
        return {int(o): int(n) for o, n in rows if o is not None}

    async def leads_locked(self) -> list[Officer]:
        """Active leads, each row locked for this transaction (skipping rows others hold)."""
        query = (
            select(Officer)
            .where(Officer.role == "lead", Officer.active.is_(True))
            .order_by(Officer.id)
        )
        return list((await self.session.execute(self._skip_locked(query))).scalars())

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

    # Local Offer feedback.

    async def add_feedback(self, feedback: OfferFeedback) -> OfferFeedback:
        """Store one piece of Local Offer feedback."""
        self.session.add(feedback)
        await self.session.flush()
        return feedback

    async def feedback(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[OfferFeedback]:
        """Every piece of Local Offer feedback in a period, oldest first (for the export)."""
        query = select(OfferFeedback).order_by(OfferFeedback.received_at, OfferFeedback.id)
        if since is not None:
            query = query.where(OfferFeedback.received_at >= since)
        if until is not None:
            query = query.where(OfferFeedback.received_at < until)
        return list((await self.session.execute(query)).scalars())

    async def latest_feedback(self, limit: int) -> list[OfferFeedback]:
        """The newest Local Offer feedback, newest first."""
        query = (
            select(OfferFeedback)
            .order_by(OfferFeedback.received_at.desc(), OfferFeedback.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def feedback_count(self) -> int:
        """How many pieces of Local Offer feedback are held."""
        query = select(func.count()).select_from(OfferFeedback)
        return int((await self.session.execute(query)).scalar_one())

    async def feedback_by_reference(self, reference: str) -> OfferFeedback | None:
        """One piece of feedback by reference."""
        query = select(OfferFeedback).where(OfferFeedback.reference == reference)
        return (await self.session.execute(query)).scalar_one_or_none()

    # A parent's rights (issue 8): everything held, and erasure.

    async def for_parent(self, chat_key: str, keys: Decrypter) -> list[ParentTicket]:
        """Everything held about a parent's tickets, decrypted, with the officers who opened them.

        Newest ticket first; each with its messages (and their delivery status) and the
        audited reads and actions of officers (who and when), oldest first.
        """
        tickets = await self.parent_tickets(chat_key)
        if not tickets:
            return []
        officers = {o.id: o for o in await self.officers(active_only=False)}
        by_ticket: dict[int, list[TicketMessage]] = {t.id: [] for t in tickets}
        query = (
            select(TicketMessage)
            .where(TicketMessage.ticket_id.in_(list(by_ticket)))
            .order_by(TicketMessage.at, TicketMessage.id)
        )
        for row in (await self.session.execute(query)).scalars():
            by_ticket[row.ticket_id].append(row)
        delivery = await self.deliveries(
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
        tickets = await self.parent_tickets(chat_key)
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

    # Helpers.

    def _skip_locked(self, query: Select[T]) -> Select[T]:
        """Lock the selected rows on PostgreSQL, skipping rows another process holds."""
        if self.session.get_bind().dialect.name == "postgresql":
            return query.with_for_update(skip_locked=True)
        return query

    async def _refresh(self, ticket_id: int) -> None:
        """Reload a ticket after a conditional UPDATE, in case the session holds it."""
        query = select(Ticket).where(Ticket.id == ticket_id)
        await self.session.execute(query.execution_options(populate_existing=True))


def _actor_id(actor: str) -> int | None:
    """The officer id in an audit actor such as 'officer:12'."""
    _, _, number = actor.partition(":")
    return int(number) if number.isdigit() else None
