"""The inbox's list: the tickets an officer may see, filtered, by due date, a page at a time.

An officer sees unclaimed tickets and their own; a lead sees all (the same rule as the
officers' group and private chats). Each row carries only what the group summary shows
(reference, kind, dates, holder, state): never the parent or their text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true

from sendbot.core.escalation.references import read_reference
from sendbot.core.escalation.terms import query_hashes
from sendbot.core.inbox import sla
from sendbot.core.keyring import Keyring
from sendbot.storage.models import Officer, Ticket
from sendbot.storage.ticket_terms import has_all
from sendbot.storage.unit_of_work import UnitOfWork

PAGE_SIZE = 50
KINDS = ("question", "complaint", "offer", "urgent")
OPEN = ("open", "claimed")
COLUMNS = (
    Ticket.id, Ticket.reference, Ticket.kind, Ticket.status, Ticket.created_at, Ticket.due_at,
    Ticket.officer_id, Ticket.waiting_on_parent,
)  # fmt: skip


@dataclass(frozen=True)
class Filters:
    """What the officer asked the inbox for."""

    kind: str | None = None
    state: str | None = None
    mine: bool = False
    unassigned: bool = False
    reference: str | None = None
    search: str | None = None  # a ticket reference, or words the ticket's texts all contain
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


def _reference(typed: str) -> ColumnElement[bool]:
    """The ticket with a reference as typed (any case, with or without its dash)."""
    return Ticket.reference == (read_reference(typed) or typed.strip().upper()[:16])


def _search(keyring: Keyring, typed: str) -> tuple[list[ColumnElement[bool]], bool]:
    """A reference typed on its own finds that ticket; words find tickets holding them all.

    Also whether it searches words: words search only what the asker may read in full (a
    lead every ticket, an officer the tickets they hold), because an unclaimed ticket
    shows an officer only its redacted summary, and searching its words (a child's name,
    say) would tell them what the summary hides.
    """
    if read_reference(typed) is not None:
        return [_reference(typed)], False
    hashes = query_hashes(keyring, typed)
    if not hashes:
        return [_reference(typed)], False
    return [has_all(hashes)], True


def _conditions(
    officer: Officer, filters: Filters, now: datetime, keyring: Keyring, counting: bool = False
) -> list[ColumnElement[bool]]:
    """The WHERE clauses for who is asking and what they filtered.

    Open is written two ways with one meaning: `status IN (open, claimed)` lets a count
    read only the (status, due_at) index; `status != closed` lets a page be read in the
    due-date index's order, stopping after one page.
    """
    where: list[ColumnElement[bool]] = []
    searched, by_words = _search(keyring, filters.search) if filters.search else ([], False)
    # One condition for whose tickets, never two that overlap: PostgreSQL multiplies
    # overlapping selectivities and, expecting one row, loops over a word search's matches
    # for every held ticket (0.8 s a page at 10,000 tickets).
    if filters.mine or (by_words and officer.role != "lead"):
        where.append(Ticket.officer_id == officer.id)
    elif officer.role != "lead":
        where.append(or_(Ticket.officer_id.is_(None), Ticket.officer_id == officer.id))
    if filters.kind in KINDS:
        where.append(Ticket.kind == filters.kind)
    if filters.unassigned:
        where.append(Ticket.officer_id.is_(None))
    if filters.reference:
        where.append(_reference(filters.reference))
    where.extend(searched)
    state = filters.state
    if state == "closed":
        where.append(Ticket.status == "closed")
        return where
    where.append(Ticket.status.in_(OPEN) if counting else Ticket.status != "closed")
    if state == "paused":
        where.append(Ticket.waiting_on_parent == true())
    elif state in ("overdue", "due_today", "on_time"):
        where.append(Ticket.waiting_on_parent == false())
        today_ends = sla.end_of_uk_day(now)
        if state == "overdue":
            where.append(Ticket.due_at <= now)
        elif state == "due_today":
            where.append(and_(Ticket.due_at > now, Ticket.due_at <= today_ends))
        else:
            where.append(Ticket.due_at > today_ends)
    return where


async def inbox(
    uow: UnitOfWork, officer: Officer, filters: Filters, now: datetime, keyring: Keyring
) -> Listing:
    """One page of the tickets this officer may see, soonest due first."""
    where = _conditions(officer, filters, now, keyring)
    total = int(
        (
            await uow.session.execute(select(func.count()).select_from(Ticket).where(*where))
        ).scalar_one()
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(filters.page, 1), pages)
    page_of = (
        select(*COLUMNS)
        .where(*where)
        .order_by(Ticket.due_at, Ticket.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    tickets = list((await uow.session.execute(page_of)).all())
    rows = [
        Row(
            reference=t.reference,
            kind=t.kind,
            status=t.status,
            created_at=t.created_at,
            due_at=t.due_at,
            officer_id=t.officer_id,
            state=sla.of(t.status, t.due_at, t.waiting_on_parent, now),
        )
        for t in tickets
    ]
    return Listing(rows=rows, total=total, page=page, pages=pages)
