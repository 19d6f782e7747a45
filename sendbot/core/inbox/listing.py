"""The inbox's list: the tickets an officer may see, filtered, by due date, a page at a time.

An officer sees unclaimed tickets and their own; a lead sees all (the same rule as the
officers' group and private chats). Each row carries only what the group summary shows
(reference, kind, dates, holder, state): never the parent or their text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select

from sendbot.core.escalation.references import read_reference
from sendbot.core.inbox import sla
from sendbot.storage.models import Officer, Ticket, TicketMessage
from sendbot.storage.unit_of_work import UnitOfWork

PAGE_SIZE = 50
KINDS = ("question", "complaint", "offer", "urgent")
OPEN = ("open", "claimed")


@dataclass(frozen=True)
class Filters:
    """What the officer asked the inbox for."""

    kind: str | None = None
    state: str | None = None
    mine: bool = False
    unassigned: bool = False
    reference: str | None = None
    page: int = 1


@dataclass(frozen=True)
class Row:
    """One ticket in the inbox."""

    reference: str
    kind: str
    status: str
    created_at: datetime
    due_at: datetime
    officer_id: int | None
    state: str


@dataclass(frozen=True)
class Listing:
    """One page of the inbox, and how many tickets match in all."""

    rows: list[Row]
    total: int
    page: int
    pages: int


def _last_author() -> ColumnElement[str | None]:
    """The author of a ticket's newest message (a correlated subquery)."""
    return (
        select(TicketMessage.author)
        .where(TicketMessage.ticket_id == Ticket.id)
        .order_by(TicketMessage.id.desc())
        .limit(1)
        .correlate(Ticket)
        .scalar_subquery()
    )


def _conditions(
    officer: Officer, filters: Filters, now: datetime, last: ColumnElement[str | None]
) -> list[ColumnElement[bool]]:
    """The WHERE clauses for who is asking and what they filtered."""
    where: list[ColumnElement[bool]] = []
    if officer.role != "lead":
        where.append(or_(Ticket.officer_id.is_(None), Ticket.officer_id == officer.id))
    if filters.kind in KINDS:
        where.append(Ticket.kind == filters.kind)
    if filters.mine:
        where.append(Ticket.officer_id == officer.id)
    if filters.unassigned:
        where.append(Ticket.officer_id.is_(None))
    if filters.reference:
        reference = read_reference(filters.reference) or filters.reference.strip().upper()[:16]
        where.append(Ticket.reference == reference)
    waiting = func.coalesce(last, "") == "officer"
    state = filters.state
    if state == "closed":
        where.append(Ticket.status == "closed")
        return where
    where.append(Ticket.status.in_(OPEN))
    if state == "paused":
        where.append(waiting)
    elif state in ("overdue", "due_today", "on_time"):
        where.append(~waiting)
        today_ends = sla.end_of_uk_day(now)
        if state == "overdue":
            where.append(Ticket.due_at <= now)
        elif state == "due_today":
            where.append(and_(Ticket.due_at > now, Ticket.due_at <= today_ends))
        else:
            where.append(Ticket.due_at > today_ends)
    return where


async def inbox(uow: UnitOfWork, officer: Officer, filters: Filters, now: datetime) -> Listing:
    """One page of the tickets this officer may see, soonest due first."""
    last = _last_author()
    where = _conditions(officer, filters, now, last)
    total = int(
        (
            await uow.session.execute(select(func.count()).select_from(Ticket).where(*where))
        ).scalar_one()
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(filters.page, 1), pages)
    query = (
        select(Ticket, last.label("last_author"))
        .where(*where)
        .order_by(Ticket.due_at, Ticket.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    rows = [
        Row(
            reference=row[0].reference,
            kind=row[0].kind,
            status=row[0].status,
            created_at=row[0].created_at,
            due_at=row[0].due_at,
            officer_id=row[0].officer_id,
            state=sla.state(row[0].status, row[0].due_at, row[1], now),
        )
        for row in (await uow.session.execute(query)).all()
    ]
    return Listing(rows=rows, total=total, page=page, pages=pages)
