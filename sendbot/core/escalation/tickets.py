"""Tickets: made from a consented draft, delivered through the outbox, answered and closed.

A ticket is saved before anything about it is sent; every message to the officers' group,
an officer or a parent (other than the reply to the person who just wrote) is saved to
the outbox, encrypted, and delivered from there. The group only ever sees a summary:
reference, kind, age, due date and a short redacted excerpt; never the parent's name,
username or id, and never the case. The full text goes to the officer who claims it, and
the case reference only if the parent ticked it on the consent screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from sendbot.core.cases.timefmt import long_time
from sendbot.core.escalation.officers import (
    holder_name,
    internal_name,
    may_open,
    record,
    shown_name,
)
from sendbot.core.escalation.references import new_reference
from sendbot.core.escalation.sla import due_at, half_time
from sendbot.core.formatting import escape
from sendbot.core.messages import Button, Outbound
from sendbot.core.officers_group import queue_to_officers_group
from sendbot.core.outbox import enqueue
from sendbot.core.privacy.names import linked_child_names
from sendbot.core.redaction import redact
from sendbot.core.services import Services
from sendbot.storage.models import Conversation, OfferFeedback, Officer, Ticket, TicketMessage
from sendbot.storage.ticket_repository import ticket_outbox_prefix
from sendbot.storage.unit_of_work import UnitOfWork

KINDS = ("question", "complaint", "offer", "urgent")
EXCERPT_CHARS = 160
RATINGS = (1, 2, 3, 4, 5)

Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Draft:
    """What the parent wrote and chose, before they press Send."""

    kind: str
    text: str
    token: str
    case_id: int | None = None
    wants_reply: bool = False


def working_days(services: Services, kind: str) -> int:
    """Working days allowed for a kind: complaints from the local pack's first stage."""
    if kind == "urgent":
        return services.settings.urgent_working_days
    if kind == "complaint":
        council = services.kb.council
        stages = council.complaints.corporate if council else []
        if stages:
            return min(stages, key=lambda s: s.stage).working_days
    return services.settings.ticket_working_days


def kind_name(services: Services, kind: str) -> str:
    """A kind's name as shown in messages."""
    return services.texts.get(f"escalation.kinds.{kind}")


def when(moment: datetime) -> str:
    """An instant in UK time, as people read it."""
    return long_time(moment)


def age(services: Services, since: datetime, now: datetime) -> str:
    """How long ago, roughly: '5 minutes', '3 hours', '2 days'."""
    minutes = max(int((now - since).total_seconds() // 60), 0)
    texts = services.texts
    if minutes < 60:
        return texts.get("escalation.age.minutes", n=minutes)
    if minutes < 48 * 60:
        return texts.get("escalation.age.hours", n=minutes // 60)
    return texts.get("escalation.age.days", n=minutes // (24 * 60))


async def _child_names(uow: UnitOfWork, services: Services, chat_key: str | None) -> list[str]:
    """The first names of the children linked to a chat (none once it was erased)."""
    return await linked_child_names(uow, services.keyring, chat_key) if chat_key else []


def excerpt(services: Services, text: str, names: Sequence[str]) -> str:
    """A short redacted, escaped excerpt of a parent's text for the officers' group."""
    cleaned = redact(text, services.retriever.known_words(), names=names)
    if len(cleaned) > EXCERPT_CHARS:
        cleaned = cleaned[: EXCERPT_CHARS - 1].rstrip() + "…"
    return escape(cleaned)


def open_text(services: Services, token: str | None) -> str:
    """Decrypt stored text; a neutral phrase if it was erased or cannot be read."""
    text = services.keyring.reveal(token)
    return services.texts.get("escalation.erased") if text is None else text


# Deliveries, all through the outbox.


async def to_parent(
    uow: UnitOfWork, services: Services, ticket: Ticket, message: Outbound, key: str
) -> str | None:
    """Queue a message to the ticket's parent; its outbox key, or None if unreachable."""
    if ticket.parent_ref is None:
        return None
    dedupe = ticket_outbox_prefix(ticket.id) + key
    await enqueue(
        uow,
        dedupe_key=dedupe,
        channel=ticket.channel,
        chat_ref=ticket.parent_ref,
        message=message,
        kind="ticket-parent",
        keyring=services.keyring,
    )
    return dedupe


async def to_officer(
    uow: UnitOfWork,
    services: Services,
    ticket_id: int | None,
    officer: Officer,
    message: Outbound,
    key: str,
) -> str:
    """Queue a message to one officer's private chat."""
    prefix = ticket_outbox_prefix(ticket_id) if ticket_id is not None else "officer:"
    dedupe = f"{prefix}{key}:o{officer.id}"
    await enqueue(
        uow,
        dedupe_key=dedupe,
        channel=officer.channel,
        chat_ref=officer.chat_ref,
        message=message,
        kind="ticket-officer",
        keyring=services.keyring,
    )
    return dedupe


async def to_group(
    uow: UnitOfWork, services: Services, ticket: Ticket, message: Outbound, key: str
) -> str | None:
    """Queue a message to the officers' group, if one is configured."""
    dedupe = ticket_outbox_prefix(ticket.id) + key
    queued = await queue_to_officers_group(
        uow, services, message, dedupe_key=dedupe, kind="ticket-group"
    )
    return dedupe if queued else None


# Building messages.


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
    names = await _child_names(uow, services, ticket.parent_key)
    return group_summary(services, ticket, open_text(services, ticket.body), names).html


def officer_buttons(services: Services, ticket: Ticket) -> Rows:
    """Buttons under a ticket in an officer's private chat."""
    return (
        (Button(services.texts.get("escalation.officer.close_button"), f"o:z:{ticket.reference}"),),
    )


async def officer_view(uow: UnitOfWork, services: Services, ticket: Ticket) -> str:
    """Everything an officer holding a ticket may read: its text, case if shared, messages."""
    texts = services.texts
    now = services.clock()
    officers = {o.id: o for o in await uow.tickets.officers(active_only=False)}
    holder = officers.get(ticket.officer_id) if ticket.officer_id else None
    lines = [
        texts.get(
            "escalation.officer.view_head",
            reference=ticket.reference,
            kind=kind_name(services, ticket.kind),
            received=when(ticket.created_at),
            age=age(services, ticket.created_at, now),
            due=when(ticket.due_at),
            holder=holder_name(services, holder),
        )
    ]
    if ticket.due_at <= now and ticket.status != "closed":
        lines.append(texts.get("escalation.officer.overdue_flag"))
    if ticket.case_ref:
        case = await uow.cases.cases_by_id([ticket.case_id]) if ticket.case_id else {}
        stage = case[ticket.case_id].stage if ticket.case_id in case else None
        lines.append(
            texts.get(
                "escalation.officer.case_line",
                reference=open_text(services, ticket.case_ref),
                stage=texts.get(f"cases.stage_names.{stage}") if stage else "?",
            )
        )
    lines.append(texts.get("escalation.officer.message_head"))
    lines.append(escape(open_text(services, ticket.body)))
    messages = await uow.tickets.messages(ticket.id)
    delivery = await uow.tickets.deliveries([m.outbox_key for m in messages if m.outbox_key])
    for message in messages:
        if message.author == "parent":
            head = texts.get("escalation.officer.from_parent", at=when(message.at))
        else:
            status = delivery.get(message.outbox_key or "", "pending")
            head = texts.get(
                "escalation.officer.from_officer",
                at=when(message.at),
                officer=internal_name(services, officers.get(message.officer_id or 0)),
                delivery=texts.get(f"escalation.delivery.{status}"),
            )
        body = escape(open_text(services, message.body)) if message.body else ""
        if message.entry_id:
            entry = services.kb.get(message.entry_id)
            body = texts.get(
                "escalation.officer.attached", title=entry.title if entry else message.entry_id
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


# Creating a ticket.


async def submit(
    uow: UnitOfWork, services: Services, conversation: Conversation, draft: Draft
) -> tuple[Ticket, bool]:
    """Save the ticket a draft describes, once; (ticket, created now)."""
    existing = await uow.tickets.by_draft_token(draft.token)
    if existing is not None:
        return existing, False
    now = services.clock()
    case = None
    if draft.case_id is not None:
        case = await uow.cases.linked_case(conversation.chat_key, draft.case_id)
    due = due_at(now, working_days(services, draft.kind))
    keyring = services.keyring
    reference = await _unused_reference(uow, "T")
    ticket = Ticket(
        reference=reference,
        draft_token=draft.token,
        kind=draft.kind,
        status="open",
        parent_key=conversation.chat_key,
        channel=conversation.channel,
        parent_ref=conversation.chat_ref,
        body=keyring.encrypt(draft.text),
        case_id=case.id if case else None,
        case_ref=keyring.encrypt(case.reference) if case else None,
        created_at=now,
        half_at=half_time(now, due),
        due_at=due,
    )
    try:
        async with uow.session.begin_nested():
            await uow.tickets.add_ticket(ticket)
    except IntegrityError:  # the same draft submitted at the same moment elsewhere
        again = await uow.tickets.by_draft_token(draft.token)
        if again is None:
            raise
        return again, False
    names = await _child_names(uow, services, conversation.chat_key)
    if draft.kind == "offer":
        await _feedback(uow, services, draft.text, names, ticket.id)
    await to_group(uow, services, ticket, group_summary(services, ticket, draft.text, names), "new")
    return ticket, True


async def submit_anonymous_feedback(
    uow: UnitOfWork, services: Services, chat_key: str, text: str
) -> OfferFeedback:
    """Save Local Offer feedback with no link to the parent; it joins the feedback queue."""
    names = await _child_names(uow, services, chat_key)
    return await _feedback(uow, services, text, names, None)


async def _feedback(
    uow: UnitOfWork,
    services: Services,
    text: str,
    names: Sequence[str],
    ticket_id: int | None,
) -> OfferFeedback:
    """Store feedback redacted and encrypted (the names of linked children removed too)."""
    redacted = redact(text, services.retriever.known_words(), names=names)
    return await uow.tickets.add_feedback(
        OfferFeedback(
            reference=await _unused_reference(uow, "F"),
            received_at=services.clock(),
            text=services.keyring.encrypt(redacted),
            anonymous=ticket_id is None,
            ticket_id=ticket_id,
        )
    )


async def _unused_reference(uow: UnitOfWork, prefix: str) -> str:
    """A fresh reference no ticket or feedback uses."""
    for _ in range(20):
        reference = new_reference(prefix)
        if not await uow.tickets.reference_taken(reference):
            return reference
    raise RuntimeError("could not find a free reference")


# Officer actions.


async def claim(uow: UnitOfWork, services: Services, ticket: Ticket, officer: Officer) -> bool:
    """Give the ticket to this officer if nobody holds it; then send them its full text."""
    if not await uow.tickets.claim(ticket.id, officer.id, services.clock()):
        return False
    await record(uow, services, officer, "ticket.claim", ticket.reference)
    await send_full_text(uow, services, ticket, officer, "claimed")
    return True


async def send_full_text(
    uow: UnitOfWork, services: Services, ticket: Ticket, officer: Officer, key: str
) -> None:
    """Queue the ticket's full view to an officer privately; audit the read (and the case)."""
    html = await officer_view(uow, services, ticket)
    message = Outbound(html=html, buttons=officer_buttons(services, ticket))
    await to_officer(
        uow, services, ticket.id, officer, message, f"{key}:{services.clock().isoformat()}"
    )
    await record_read(uow, services, officer, ticket)


async def record_read(
    uow: UnitOfWork, services: Services, officer: Officer, ticket: Ticket
) -> None:
    """Audit an officer's read of a ticket's full view, and of the case it shares."""
    await record(uow, services, officer, "ticket.read", ticket.reference)
    if ticket.case_ref:
        await record(
            uow,
            services,
            officer,
            "case.read",
            open_text(services, ticket.case_ref),
            subject_type="case",
            ticket=ticket.reference,
        )


async def officer_reply(
    uow: UnitOfWork,
    services: Services,
    ticket: Ticket,
    officer: Officer,
    text: str = "",
    entry_id: str | None = None,
) -> TicketMessage:
    """Keep an officer's reply (or attached entry) and queue it to the parent."""
    now = services.clock()
    message = await uow.tickets.add_message(
        TicketMessage(
            ticket_id=ticket.id,
            at=now,
            author="officer",
            officer_id=officer.id,
            body=services.keyring.encrypt(text) if text else None,
            entry_id=entry_id,
        )
    )
    texts = services.texts
    name = shown_name(services, officer)
    buttons: list[tuple[Button, ...]] = []
    if entry_id:
        entry = services.kb.get(entry_id)
        html = texts.get(
            "escalation.parent.attached",
            officer=name,
            reference=ticket.reference,
            title=entry.title if entry else entry_id,
        )
        buttons.append((Button(texts.get("escalation.parent.open_entry"), f"e:{entry_id}"),))
        action = "ticket.attach"
    else:
        html = (
            texts.get("escalation.parent.reply", officer=name, reference=ticket.reference)
            + "\n\n"
            + escape(text)
        )
        action = "ticket.reply"
    buttons.extend(parent_buttons(services, ticket))
    message.outbox_key = await to_parent(
        uow, services, ticket, Outbound(html=html, buttons=tuple(buttons)), f"m{message.id}"
    )
    await record(uow, services, officer, action, ticket.reference, message=message.id)
    return message


async def parent_message(
    uow: UnitOfWork, services: Services, ticket: Ticket, text: str
) -> TicketMessage:
    """Keep a parent's added message and queue it to the officer holding the ticket."""
    message = await uow.tickets.add_message(
        TicketMessage(
            ticket_id=ticket.id,
            at=services.clock(),
            author="parent",
            body=services.keyring.encrypt(text),
        )
    )
    holder = await uow.tickets.officer(ticket.officer_id) if ticket.officer_id else None
    if holder is not None and holder.active:
        html = (
            services.texts.get("escalation.officer.parent_added", reference=ticket.reference)
            + "\n\n"
            + escape(text)
        )
        message.outbox_key = await to_officer(
            uow, services, ticket.id, holder, Outbound(html=html), f"m{message.id}"
        )
    return message


async def close_by_officer(
    uow: UnitOfWork, services: Services, ticket: Ticket, officer: Officer
) -> bool:
    """Close a ticket for the officer; tell the parent and ask them to rate the help."""
    if not await uow.tickets.close(ticket.id, "officer", services.clock()):
        return False
    await record(uow, services, officer, "ticket.close", ticket.reference)
    html = services.texts.get(
        "escalation.parent.closed_by_officer",
        officer=shown_name(services, officer),
        reference=ticket.reference,
    )
    await to_parent(
        uow,
        services,
        ticket,
        Outbound(html=html, buttons=rating_buttons(services, ticket)),
        "closed",
    )
    return True


async def close_by_parent(uow: UnitOfWork, services: Services, ticket: Ticket) -> bool:
    """Close a ticket for the parent; tell the officer holding it."""
    if not await uow.tickets.close(ticket.id, "parent", services.clock()):
        return False
    holder = await uow.tickets.officer(ticket.officer_id) if ticket.officer_id else None
    if holder is not None and holder.active:
        html = services.texts.get("escalation.officer.parent_closed", reference=ticket.reference)
        await to_officer(uow, services, ticket.id, holder, Outbound(html=html), "closed")
    return True


async def reassign(
    uow: UnitOfWork, services: Services, ticket: Ticket, lead: Officer, to: Officer
) -> bool:
    """A lead hands a ticket to another officer, who then gets its full text."""
    if not await uow.tickets.reassign(ticket.id, to.id, services.clock()):
        return False
    await record(uow, services, lead, "ticket.reassign", ticket.reference, to=to.id)
    await send_full_text(uow, services, ticket, to, "reassigned")
    return True


async def visible_ticket(uow: UnitOfWork, officer: Officer, reference: str | None) -> Ticket | None:
    """A ticket whose content this officer may open, or None (unknown or not theirs alike)."""
    if not reference:
        return None
    ticket = await uow.tickets.by_reference(reference)
    if ticket is None or not may_open(officer, ticket):
        return None
    return ticket
