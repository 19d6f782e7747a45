"""The parents' side of tickets: send one, see their own, add to one, close it, rate it.

Every function takes the unit of work, the desk and the parent (one channel identity);
a parent only ever finds their own tickets, and anything else is `TicketNotFound`.
What a parent consents to share is exactly what the draft names: a case only if it is
linked to their chat, Local Offer feedback with no link to them unless they want a reply.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from sendbot.core.escalation import terms as search
from sendbot.core.escalation.notices import Desk
from sendbot.core.escalation.references import new_reference
from sendbot.core.escalation.results import (
    BadRating,
    Submitted,
    TicketClosed,
    TicketNotFound,
    TicketView,
)
from sendbot.core.escalation.service.views import ticket_view
from sendbot.core.escalation.sla import due_at, half_time
from sendbot.core.escalation.tickets import (
    RATINGS,
    Draft,
    child_names,
    shares_case,
    working_days,
)
from sendbot.core.people import Parent
from sendbot.core.redaction import redact
from sendbot.storage.models import Case, OfferFeedback, Ticket, TicketMessage
from sendbot.storage.unit_of_work import UnitOfWork


async def shareable_cases(uow: UnitOfWork, parent: Parent) -> list[Case]:
    """The cases a parent may choose to share on a ticket: those linked to their chat."""
    return await uow.cases.linked_cases(parent.chat_key)


async def shareable_case(uow: UnitOfWork, parent: Parent, case_id: int | None) -> Case | None:
    """One case the parent may share, or None if it is not linked to their chat."""
    return await uow.cases.linked_case(parent.chat_key, case_id) if case_id else None


async def submitted(uow: UnitOfWork, parent: Parent, token: str) -> Ticket | None:
    """The ticket this parent's draft became already, if it was sent."""
    ticket = await uow.tickets.by_draft_token(token)
    return ticket if ticket is not None and ticket.parent_key == parent.chat_key else None


async def send(
    uow: UnitOfWork, desk: Desk, parent: Parent, draft: Draft
) -> Submitted | OfferFeedback:
    """Send exactly what the parent consented to on the consent screen.

    Local Offer feedback with no reply wanted is kept with no link to them (no ticket);
    anything else becomes a ticket, sharing a case only if the kind offers one.
    """
    if draft.kind == "offer" and not draft.wants_reply:
        return await submit_feedback(uow, desk, parent, draft.text)
    return await submit(uow, desk, parent, draft)


async def submit(uow: UnitOfWork, desk: Desk, parent: Parent, draft: Draft) -> Submitted:
    """Save the ticket a draft describes, once, and tell the officers' group."""
    existing = await uow.tickets.by_draft_token(draft.token)
    if existing is not None:
        return Submitted(existing, False)
    services, now = desk.services, desk.now()
    case = await shareable_case(uow, parent, draft.case_id if shares_case(draft.kind) else None)
    due = due_at(now, working_days(services, draft.kind))
    keyring = services.keyring
    ticket = Ticket(
        reference=await _unused_reference(uow, "T"),
        draft_token=draft.token,
        kind=draft.kind,
        status="open",
        parent_key=parent.chat_key,
        channel=parent.channel,
        parent_ref=parent.chat_ref,
        body=keyring.encrypt(draft.text),
        case_id=case.id if case else None,
        case_ref=keyring.encrypt(case.reference) if case else None,
        created_at=now,
        half_at=half_time(now, due),
        due_at=due,
    )
    try:
        async with uow.session.begin_nested():
            await uow.tickets.add_ticket(ticket, search.hashes(keyring, [draft.text]))
    except IntegrityError:  # the same draft submitted at the same moment elsewhere
        again = await uow.tickets.by_draft_token(draft.token)
        if again is None:
            raise
        return Submitted(again, False)
    names = await child_names(uow, services, parent.chat_key)
    if draft.kind == "offer":
        await _feedback(uow, desk, draft.text, names, ticket.id)
    await desk.notices.submitted(uow, ticket, draft.text, names)
    return Submitted(ticket, True)


async def submit_feedback(uow: UnitOfWork, desk: Desk, parent: Parent, text: str) -> OfferFeedback:
    """Save Local Offer feedback with no link to the parent; it joins the feedback queue."""
    names = await child_names(uow, desk.services, parent.chat_key)
    return await _feedback(uow, desk, text, names, None)


async def tickets(uow: UnitOfWork, parent: Parent, open_only: bool = False) -> list[Ticket]:
    """The parent's own tickets, newest first."""
    return await uow.tickets.parent_tickets(parent.chat_key, open_only=open_only)


async def ticket(uow: UnitOfWork, parent: Parent, reference: object) -> Ticket:
    """One of the parent's own tickets."""
    found = (
        await uow.tickets.parent_ticket(parent.chat_key, reference)
        if isinstance(reference, str)
        else None
    )
    if found is None:
        raise TicketNotFound(str(reference))
    return found


async def open_ticket(uow: UnitOfWork, parent: Parent, reference: object) -> Ticket:
    """One of the parent's own tickets that is still open."""
    found = await ticket(uow, parent, reference)
    if found.status == "closed":
        raise TicketClosed(found)
    return found


async def add(
    uow: UnitOfWork, desk: Desk, parent: Parent, reference: object, text: str
) -> TicketMessage:
    """Keep a parent's added message and pass it to the officer holding the ticket."""
    found = await open_ticket(uow, parent, reference)
    message = await uow.tickets.add_message(
        TicketMessage(
            ticket_id=found.id,
            at=desk.now(),
            author="parent",
            body=desk.services.keyring.encrypt(text),
        ),
        search.hashes(desk.services.keyring, [text]),
    )
    holder = await uow.officers.get(found.officer_id) if found.officer_id else None
    if holder is not None and holder.active:
        message.outbox_key = await desk.notices.parent_added(uow, found, holder, message, text)
    return message


async def close(uow: UnitOfWork, desk: Desk, parent: Parent, reference: object) -> Ticket:
    """Close the parent's ticket (if it is open) and tell the officer holding it."""
    found = await ticket(uow, parent, reference)
    if found.status != "closed" and await uow.tickets.close(found.id, "parent", desk.now()):
        holder = await uow.officers.get(found.officer_id) if found.officer_id else None
        if holder is not None and holder.active:
            await desk.notices.closed_by_parent(uow, found, holder)
    return found


async def rate(uow: UnitOfWork, desk: Desk, parent: Parent, reference: object, value: str) -> bool:
    """Keep the parent's rating of a closed ticket, once; False if it was rated already."""
    found = (
        await uow.tickets.parent_ticket(parent.chat_key, reference)
        if isinstance(reference, str)
        else None
    )
    rating = int(value) if value.isdigit() else 0
    if found is None or found.status != "closed" or rating not in RATINGS:
        raise BadRating(str(reference))
    return await uow.tickets.rate(found.id, rating, desk.now())


async def _feedback(
    uow: UnitOfWork, desk: Desk, text: str, names: Sequence[str], ticket_id: int | None
) -> OfferFeedback:
    """Store feedback redacted and encrypted (the names of linked children removed too)."""
    services = desk.services
    redacted = redact(text, services.retriever.known_words(), names=names)
    return await uow.offer_feedback.add(
        OfferFeedback(
            reference=await _unused_reference(uow, "F"),
            received_at=desk.now(),
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


async def view(uow: UnitOfWork, desk: Desk, parent: Parent, reference: object) -> TicketView:
    """One of the parent's own tickets with every message on it."""
    return await ticket_view(uow, desk, await ticket(uow, parent, reference))
