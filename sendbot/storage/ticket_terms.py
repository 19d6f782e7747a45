"""The inbox's blind index: keyed hashes of the words in each ticket's texts.

Storage only: the hashes arrive made (the core hashes with the keyring's search key),
so no word reaches this module. Each hash is held once per ticket.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sendbot.storage.models import Ticket, TicketMessage, TicketTerm
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


class TermRepository:
    """Rebuilding the index: the tickets' ciphertexts to hash again, and their new hashes."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def texts_to_index(self, after: int, limit: int) -> list[tuple[int, list[str]]]:
        """Tickets with content after an id, each with its text and its messages' (ciphertext).

        For rebuilding the search hashes; erased tickets have none.
        """
        query = (
            select(Ticket.id, Ticket.body)
            .where(Ticket.id > after, Ticket.content_erased_at.is_(None))
            .order_by(Ticket.id)
            .limit(limit)
        )
        tickets = list((await self.session.execute(query)).all())
        found: dict[int, list[str]] = {t.id: [t.body] if t.body else [] for t in tickets}
        if found:
            bodies = select(TicketMessage.ticket_id, TicketMessage.body).where(
                TicketMessage.ticket_id.in_(list(found)), TicketMessage.body.is_not(None)
            )
            for ticket_id, body in (await self.session.execute(bodies)).all():
                found[ticket_id].append(str(body))
        return list(found.items())

    async def replace(self, ticket_id: int, terms: Iterable[str]) -> None:
        """Replace a ticket's search hashes with those made afresh."""
        await delete_terms(self.session, ticket_id)
        await add_terms(self.session, ticket_id, terms)
