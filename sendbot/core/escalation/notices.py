"""How the escalation service tells people: a port the chat flows fill in, and the desk.

The service decides who is told what happened; a `Notices` turns that into messages (the
chat flows' implementation queues them to the outbox on each person's channel). A `Desk`
is what every service call needs besides the unit of work and the acting person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sendbot.core.escalation.results import TicketView
from sendbot.core.services import Services
from sendbot.storage.models import Officer, Ticket, TicketMessage
from sendbot.storage.unit_of_work import UnitOfWork


class Notices(Protocol):
    """Telling the parent, the officers' group and officers what happened to a ticket."""

    async def submitted(
        self, uow: UnitOfWork, ticket: Ticket, text: str, names: Sequence[str]
    ) -> None:
        """A new ticket: tell the officers' group (a redacted summary)."""

    async def handed(self, uow: UnitOfWork, officer: Officer, view: TicketView, key: str) -> None:
        """An officer now holds a ticket: send them its full view."""

    async def replied(
        self, uow: UnitOfWork, ticket: Ticket, officer: Officer, message: TicketMessage, text: str
    ) -> str | None:
        """An officer's reply or attached entry: send it to the parent; the outbox key."""

    async def parent_added(
        self, uow: UnitOfWork, ticket: Ticket, holder: Officer, message: TicketMessage, text: str
    ) -> str | None:
        """The parent added to their ticket: tell the officer holding it; the outbox key."""

    async def closed_by_officer(self, uow: UnitOfWork, ticket: Ticket, officer: Officer) -> None:
        """An officer closed the ticket: tell the parent, and ask them to rate the help."""

    async def closed_by_parent(self, uow: UnitOfWork, ticket: Ticket, holder: Officer) -> None:
        """The parent closed the ticket: tell the officer holding it."""


@dataclass(frozen=True)
class Desk:
    """What the service works with: the services (keys, knowledge, the clock) and notices."""

    services: Services
    notices: Notices

    def now(self) -> datetime:
        """The time, from the one clock."""
        return self.services.clock()
