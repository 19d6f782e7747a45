"""Tickets in chat: the messages and buttons the escalation service's news becomes.

The officers' group sees only a summary (reference, kind, age, due date and a short
redacted excerpt), never the parent's name or id and never the case; the officer holding
a ticket gets its full view privately; the parent hears on the channel they wrote from.
Everything is queued to the outbox (`sendbot.core.escalation.delivery`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sendbot.core.escalation.delivery import to_group, to_officer, to_parent
from sendbot.core.escalation.notices import Desk
from sendbot.core.escalation.officers import holder_name, internal_name, shown_name
from sendbot.core.escalation.results import TicketView
from sendbot.core.escalation.tickets import (
    RATINGS,
    age,
    child_names,
    excerpt,
    kind_name,
    open_text,
    when,
)
from sendbot.core.formatting import escape
from sendbot.core.messages import Button, Outbound
from sendbot.core.services import Services
from sendbot.storage.models import Officer, Ticket, TicketMessage
from sendbot.storage.unit_of_work import UnitOfWork

Rows = tuple[tuple[Button, ...], ...]


def group_summary(services: Services, ticket: Ticket, text: str, names: Sequence[str]) -> Outbound:
    """The officers' group summary of a new ticket, with a Claim button."""
    html = services.texts.get(
        "escalation.group.new_urgent" if ticket.kind == "urgent" else "escalation.group.new",
        reference=ticket.reference,
        kind=kind_name(services, ticket.kind),
        received=when(ticket.created_at),
        due=when(ticket.due_at),
    )
    html += "\n\n<i>" + excerpt(services, text, names) + "</i>"
    claim = Button(services.texts.get("escalation.group.claim"), f"o:c:{ticket.reference}")
    return Outbound(html=html, buttons=((claim,),))


async def claimed_summary(uow: UnitOfWork, services: Services, ticket: Ticket) -> str:
    """The group summary of a ticket again, without its Claim button (for the edit)."""
    names = await child_names(uow, services, ticket.parent_key)
    return group_summary(services, ticket, open_text(services, ticket.body), names).html


def officer_buttons(services: Services, ticket: Ticket) -> Rows:
    """Buttons under a ticket in an officer's private chat."""
    return (
        (Button(services.texts.get("escalation.officer.close_button"), f"o:z:{ticket.reference}"),),
    )


def _erased(services: Services, text: str | None) -> str:
    """Decrypted text, or the neutral phrase once it was erased."""
    return services.texts.get("escalation.erased") if text is None else text


def officer_view(services: Services, view: TicketView) -> str:
    """Everything an officer holding a ticket may read: its text, case if shared, messages."""
    texts, ticket = services.texts, view.ticket
    lines = [
        texts.get(
            "escalation.officer.view_head",
            reference=ticket.reference,
            kind=kind_name(services, ticket.kind),
            received=when(ticket.created_at),
            age=age(services, ticket.created_at, view.now),
            due=when(ticket.due_at),
            holder=holder_name(services, view.holder),
        )
    ]
    if view.overdue:
        lines.append(texts.get("escalation.officer.overdue_flag"))
    if view.case is not None:
        stage = view.case.stage
        lines.append(
            texts.get(
                "escalation.officer.case_line",
                reference=_erased(services, view.case.reference),
                stage=texts.get(f"cases.stage_names.{stage}") if stage else "?",
            )
        )
    lines.append(texts.get("escalation.officer.message_head"))
    lines.append(escape(_erased(services, view.text)))
    for entry in view.entries:
        message = entry.message
        if message.author == "parent":
            head = texts.get("escalation.officer.from_parent", at=when(message.at))
        else:
            head = texts.get(
                "escalation.officer.from_officer",
                at=when(message.at),
                officer=internal_name(services, entry.officer),
                delivery=texts.get(f"escalation.delivery.{entry.delivery}"),
            )
        body = escape(_erased(services, entry.text))
        if message.entry_id:
            found = services.kb.get(message.entry_id)
            body = texts.get(
                "escalation.officer.attached", title=found.title if found else message.entry_id
            )
        lines.append(f"\n{head}\n{body}")
    lines.append("\n" + texts.get("escalation.officer.how_to_reply", reference=ticket.reference))
    return "\n".join(lines)


def parent_buttons(services: Services, ticket: Ticket) -> Rows:
    """What a parent can do with an open ticket: add a message, close it."""
    return (
        (
            Button(services.texts.get("escalation.parent.add_button"), f"k:a:{ticket.reference}"),
            Button(services.texts.get("escalation.parent.close_button"), f"k:z:{ticket.reference}"),
        ),
    )


def rating_buttons(services: Services, ticket: Ticket) -> Rows:
    """Buttons to rate the help on a closed ticket."""
    return (
        tuple(
            Button(services.texts.get(f"escalation.rating.r{n}"), f"k:r:{ticket.reference}:{n}")
            for n in RATINGS
        ),
    )


class ChatNotices:
    """The escalation service's news as chat messages, queued on each person's channel."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def submitted(
        self, uow: UnitOfWork, ticket: Ticket, text: str, names: Sequence[str]
    ) -> None:
        """The group's summary of a new ticket, with a Claim button."""
        summary = group_summary(self.services, ticket, text, names)
        await to_group(uow, self.services, ticket, summary, "new")

    async def handed(self, uow: UnitOfWork, officer: Officer, view: TicketView, key: str) -> None:
        """The full view, privately, to the officer who now holds the ticket."""
        message = Outbound(
            html=officer_view(self.services, view),
            buttons=officer_buttons(self.services, view.ticket),
        )
        await to_officer(uow, self.services, view.ticket.id, officer, message, key)

    async def replied(
        self, uow: UnitOfWork, ticket: Ticket, officer: Officer, message: TicketMessage, text: str
    ) -> str | None:
        """An officer's reply (or attached entry) to the parent, with what they can do next."""
        texts, name = self.services.texts, shown_name(self.services, officer)
        buttons: list[tuple[Button, ...]] = []
        if message.entry_id:
            entry = self.services.kb.get(message.entry_id)
            html = texts.get(
                "escalation.parent.attached",
                officer=name,
                reference=ticket.reference,
                title=entry.title if entry else message.entry_id,
            )
            buttons.append(
                (Button(texts.get("escalation.parent.open_entry"), f"e:{message.entry_id}"),)
            )
        else:
            html = (
                texts.get("escalation.parent.reply", officer=name, reference=ticket.reference)
                + "\n\n"
                + escape(text)
            )
        buttons.extend(parent_buttons(self.services, ticket))
        outbound = Outbound(html=html, buttons=tuple(buttons))
        return await to_parent(uow, self.services, ticket, outbound, f"m{message.id}")

    async def parent_added(
        self, uow: UnitOfWork, ticket: Ticket, holder: Officer, message: TicketMessage, text: str
    ) -> str | None:
        """The parent's added message, to the officer holding the ticket."""
        html = (
            self.services.texts.get("escalation.officer.parent_added", reference=ticket.reference)
            + "\n\n"
            + escape(text)
        )
        return await to_officer(
            uow, self.services, ticket.id, holder, Outbound(html=html), f"m{message.id}"
        )

    async def closed_by_officer(self, uow: UnitOfWork, ticket: Ticket, officer: Officer) -> None:
        """Tell the parent an officer closed their ticket, and ask them to rate the help."""
        html = self.services.texts.get(
            "escalation.parent.closed_by_officer",
            officer=shown_name(self.services, officer),
            reference=ticket.reference,
        )
        outbound = Outbound(html=html, buttons=rating_buttons(self.services, ticket))
        await to_parent(uow, self.services, ticket, outbound, "closed")

    async def closed_by_parent(self, uow: UnitOfWork, ticket: Ticket, holder: Officer) -> None:
        """Tell the officer holding a ticket that the parent closed it."""
        html = self.services.texts.get(
            "escalation.officer.parent_closed", reference=ticket.reference
        )
        await to_officer(uow, self.services, ticket.id, holder, Outbound(html=html), "closed")


def chat_desk(services: Services) -> Desk:
    """The desk the chat flows (and any front end whose people are told in chat) work with."""
    return Desk(services, ChatNotices(services))
