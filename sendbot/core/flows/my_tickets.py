"""A parent's own tickets: see one with every reply, add to it, close it, rate the help.

Every REF is looked up within this chat's own tickets only (button data k:v, k:a, k:z,
k:r, handled by the contact flow's dispatch).
"""

from __future__ import annotations

from sendbot.core.dialogue import Turn
from sendbot.core.escalation.officers import shown_name
from sendbot.core.escalation.references import find_reference
from sendbot.core.escalation.results import BadRating, EscalationError, TicketView
from sendbot.core.escalation.service import parents
from sendbot.core.escalation.tickets import kind_name, open_text, when
from sendbot.core.flows.common import menu_button, stale_button
from sendbot.core.flows.ticket_notices import chat_desk, parent_buttons, rating_buttons
from sendbot.core.formatting import button_label, escape
from sendbot.core.messages import Button
from sendbot.core.people import Parent

STATE_ADD = "ticket_add"


def parent_of(turn: Turn) -> Parent:
    """The parent writing: this chat's channel identity, which scopes every ticket lookup."""
    return Parent.of(turn.conversation)


def thread_text(turn: Turn, view: TicketView) -> str:
    """A ticket as its parent sees it: what they wrote and every reply."""
    services, ticket = turn.services, view.ticket
    lines = [
        turn.t(
            f"escalation.parent.view_head_{ticket.status}",
            reference=ticket.reference,
            kind=kind_name(services, ticket.kind),
            sent=when(ticket.created_at),
            due=when(ticket.due_at),
        ),
        turn.t("escalation.parent.you_wrote"),
        escape(open_text(services, ticket.body)),
    ]
    for entry in view.entries:
        message = entry.message
        if message.author == "parent":
            head = turn.t("escalation.parent.you")
        else:
            head = shown_name(services, entry.officer)
        if message.entry_id:
            found = services.kb.get(message.entry_id)
            body = turn.t("escalation.parent.attached_short", title=found.title if found else "")
        else:
            body = escape(open_text(services, message.body))
        lines.append(f"<b>{escape(head)}</b> ({escape(when(message.at))}):\n{body}")
    return "\n\n".join(lines)


async def view_ticket(turn: Turn, reference: str) -> None:
    """Show one of this chat's tickets with what can be done next."""
    try:
        view = await parents.view(turn.uow, chat_desk(turn.services), parent_of(turn), reference)
    except EscalationError:
        await stale_button(turn)
        return
    turn.set_state("idle")
    turn.reply(thread_text(turn, view), _thread_buttons(turn, view))


def _thread_buttons(turn: Turn, view: TicketView) -> list[list[Button]]:
    """Under a parent's ticket: add or close it, or rate it; the entries officers attached."""
    services, ticket = turn.services, view.ticket
    buttons: list[list[Button]] = []
    if ticket.status != "closed":
        buttons.extend(list(row) for row in parent_buttons(services, ticket))
    elif ticket.rating is None:
        buttons.extend(list(row) for row in rating_buttons(services, ticket))
    for entry in view.entries:
        entry_id = entry.message.entry_id
        found = services.kb.get(entry_id) if entry_id else None
        if found is not None:
            buttons.append([Button(button_label(found.title), f"e:{entry_id}")])
    buttons.append([menu_button(turn)])
    return buttons


async def add_press(turn: Turn, reference: str) -> None:
    """Add a message to an open ticket: ask for the text."""
    try:
        ticket = await parents.open_ticket(turn.uow, parent_of(turn), reference)
    except EscalationError:
        await stale_button(turn)
        return
    turn.set_state(STATE_ADD, ref=ticket.reference)
    turn.say(
        "escalation.parent.ask_add",
        [[Button(turn.t("escalation.parent.cancel_button"), "k:x")]],
        reference=ticket.reference,
    )


async def add_entered(turn: Turn) -> None:
    """The added message: keep it and pass it on to the officer holding the ticket."""
    reference = turn.data.get("ref")
    turn.set_state("idle")
    if not await add_to(turn, reference):
        await stale_button(turn)


async def add_to(turn: Turn, reference: object) -> bool:
    """Add the turn's text to one of this chat's open tickets and say so; False if none."""
    desk = chat_desk(turn.services)
    try:
        ticket = await parents.open_ticket(turn.uow, parent_of(turn), reference)
    except EscalationError:
        return False
    await parents.add(turn.uow, desk, parent_of(turn), ticket.reference, turn.text)
    buttons = [*parent_buttons(turn.services, ticket), [menu_button(turn)]]
    turn.say("escalation.parent.added", buttons, reference=ticket.reference)
    return True


async def close_press(turn: Turn, reference: str) -> None:
    """The parent closes their ticket, and is asked to rate the help."""
    try:
        ticket = await parents.close(turn.uow, chat_desk(turn.services), parent_of(turn), reference)
    except EscalationError:
        await stale_button(turn)
        return
    turn.set_state("idle")
    if ticket.rating is not None:
        turn.say("escalation.parent.closed", [[menu_button(turn)]], reference=ticket.reference)
        return
    turn.say(
        "escalation.parent.closed_rate",
        rating_buttons(turn.services, ticket),
        reference=ticket.reference,
    )


async def rate_press(turn: Turn, reference: str, value: str) -> None:
    """Keep the parent's rating of a closed ticket (once)."""
    desk = chat_desk(turn.services)
    try:
        rated = await parents.rate(turn.uow, desk, parent_of(turn), reference, value)
    except BadRating:
        await stale_button(turn)
        return
    turn.set_state("idle")
    if rated:
        turn.say("escalation.parent.rated", [[menu_button(turn)]])
    else:
        turn.say("escalation.parent.rated_already", [[menu_button(turn)]])


async def parent_reply_to(turn: Turn) -> bool:
    """A parent replying to a message about their open ticket adds to it; True if handled."""
    reference = find_reference(turn.inbound.reply_to)
    if reference is None:
        return False
    return await add_to(turn, reference)
