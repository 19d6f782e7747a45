"""What the escalation service returns and refuses: domain results and domain errors.

Every refusal a person could use to learn about a ticket that is not theirs is the same
`TicketNotFound`, whether the ticket is unknown or only not theirs to see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sendbot.storage.models import OfferFeedback, Officer, Ticket, TicketMessage


class EscalationError(Exception):
    """A request about a ticket that the service refuses."""


class TicketNotFound(EscalationError):
    """No such ticket, or not one this person may open (the two look the same)."""


class TicketClosed(EscalationError):
    """The ticket is closed already."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(ticket.reference)
        self.ticket = ticket


class AlreadyClaimed(EscalationError):
    """Another officer holds the ticket."""

    def __init__(self, ticket: Ticket, holder: Officer | None) -> None:
        super().__init__(ticket.reference)
        self.ticket = ticket
        self.holder = holder


class NotALead(EscalationError):
    """Only a lead may do this."""


class NoSuchOfficer(EscalationError):
    """No active officer has this number."""

    def __init__(self, number: str) -> None:
        super().__init__(number)
        self.number = number


class EmptyText(EscalationError):
    """A reply or note with nothing in it."""


class TextTooLong(EscalationError):
    """A reply longer than a message may be."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"{length} > {limit}")
        self.length, self.limit = length, limit


class NoSuchEntry(EscalationError):
    """No knowledge entry with this id (with the nearest ones, for a suggestion)."""

    def __init__(self, wanted: str, suggestions: list[str]) -> None:
        super().__init__(wanted)
        self.wanted, self.suggestions = wanted, suggestions


class FeedbackNotFound(EscalationError):
    """No Local Offer feedback with this reference."""


class BadRating(EscalationError):
    """A rating outside the scale, or on a ticket that is still open."""


@dataclass(frozen=True)
class Submitted:
    """The ticket a draft became, and whether it was made by this call."""

    ticket: Ticket
    created: bool


@dataclass(frozen=True)
class TicketSummary:
    """One line of an officer's queue: a ticket, who holds it, whether it is overdue."""

    ticket: Ticket
    holder: Officer | None
    overdue: bool


@dataclass(frozen=True)
class Queue:
    """The open tickets an officer may list, by due date, and whether they saw all (a lead)."""

    tickets: list[TicketSummary]
    everything: bool


@dataclass(frozen=True)
class Entry:
    """One message on a ticket after the first, decrypted (text None once erased)."""

    message: TicketMessage
    officer: Officer | None
    text: str | None
    delivery: str  # the outbox status of an officer's message: pending, sent, ...


@dataclass(frozen=True)
class SharedCase:
    """The case a parent chose to share on a ticket: its reference and stage."""

    reference: str | None
    stage: str | None


@dataclass(frozen=True)
class TicketView:
    """Everything a reader of a ticket may see: its text, case if shared, and its messages."""

    ticket: Ticket
    holder: Officer | None
    now: datetime
    text: str | None
    case: SharedCase | None
    entries: list[Entry]

    @property
    def overdue(self) -> bool:
        """Past its due date and still open."""
        return self.ticket.due_at <= self.now and self.ticket.status != "closed"


@dataclass(frozen=True)
class Replied:
    """An officer's reply kept on a ticket; `reached` is False once the parent is gone."""

    ticket: Ticket
    message: TicketMessage
    reached: bool


@dataclass(frozen=True)
class Reassigned:
    """A ticket handed by a lead to another officer."""

    ticket: Ticket
    to: Officer


@dataclass(frozen=True)
class FeedbackPage:
    """The newest Local Offer feedback (decrypted) and how many are held in all."""

    items: list[tuple[OfferFeedback, str | None]]
    total: int


@dataclass(frozen=True)
class PublishedFeedback:
    """One line of the "you said, we did" list, decrypted (it was redacted when kept)."""

    reference: str
    received: datetime
    you_said: str
    we_did: str
