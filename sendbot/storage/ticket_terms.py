"""The inbox's blind index: keyed hashes of the words in each ticket's texts.

Storage only: the hashes arrive made (the core hashes with the keyring's search key),
so no word reaches this module. Each hash is held once per ticket.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sendbot.storage.models import Ticket, TicketTerm
from sendbot.storage.repositories import insert_many_ignoring_conflicts


async def add_terms(session: AsyncSession, ticket_id: int, terms: Iterable[str]) -> None:
    """Hold these hashes for a ticket (those it holds already are left as they are)."""
    rows = [{"ticket_id": ticket_id, "term": term} for term in sorted(set(terms))]
    if rows:
        await session.execute(insert_many_ignoring_conflicts(session, TicketTerm, rows))


async def delete_terms(session: AsyncSession, ticket_id: int) -> None:
    """Forget every hash held for a ticket."""
    await session.execute(
        delete(TicketTerm)
        .where(TicketTerm.ticket_id == ticket_id)
        .execution_options(synchronize_session=False)
    )


def has_all(terms: Iterable[str]) -> ColumnElement[bool]:
    """WHERE clause: the ticket holds every one of these hashes.

    One read of the term index per word, grouped by ticket (a hash is held once per
    ticket, so holding them all is a count): the tickets matched are found from the
    index, not by looking every visible ticket up.
    """
    wanted = sorted(set(terms))
    holding = (
        select(TicketTerm.ticket_id)
        .where(TicketTerm.term.in_(wanted))
        .group_by(TicketTerm.ticket_id)
        .having(func.count() == len(wanted))
    )
    return Ticket.id.in_(holding)
