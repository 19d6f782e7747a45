"""Talk to someone: choose a kind, write, consent to exactly what is shared, get a reference.

Button data: k:n new request, k:k:KIND choose a kind, k:t:TOKEN:CASE tick or untick sharing
a linked case, k:f:TOKEN tick or untick "I'd like a reply" on Local Offer feedback,
k:s:TOKEN send, k:e:TOKEN change the text, k:x cancel, k:v:REF view a ticket,
k:a:REF add a message, k:z:REF close, k:r:REF:N rate. TOKEN names one draft: a Send
pressed twice finds the ticket that draft became and makes no second one. Every REF is
looked up within this chat's own tickets only (sendbot/core/flows/my_tickets.py).
"""

from __future__ import annotations

from sendbot.core.dialogue import Router, Turn
from sendbot.core.escalation.references import new_draft_token
from sendbot.core.escalation.service import parents
from sendbot.core.escalation.tickets import KINDS, Draft, kind_name, open_text, shares_case, when
from sendbot.core.flows.common import menu_button, stale_button
from sendbot.core.flows.my_tickets import (
    STATE_ADD,
    add_entered,
    add_press,
    close_press,
    parent_of,
    rate_press,
    view_ticket,
)
from sendbot.core.flows.ticket_notices import chat_desk, parent_buttons
from sendbot.core.formatting import button_label, escape, markdown_to_html
from sendbot.core.messages import Button
from sendbot.storage.models import OfferFeedback

STATE_TEXT = "contact_text"
STATE_CONFIRM = "contact_confirm"
MAX_SHARED_CASES = 3


async def show_contact(turn: Turn) -> None:
    """Talk to someone: the parent's open requests, if any, and a way to start a new one."""
    turn.set_state("idle")
    tickets = await parents.tickets(turn.uow, parent_of(turn), open_only=True)
    if not tickets:
        choose_kind(turn)
        return
    buttons = [
        [
            Button(
                button_label(
                    turn.t(
                        "escalation.parent.ticket_label",
                        reference=t.reference,
                        kind=kind_name(turn.services, t.kind),
                    )
                ),
                f"k:v:{t.reference}",
            )
        ]
        for t in tickets[:8]
    ]
    buttons.append([Button(turn.t("escalation.parent.new_button"), "k:n")])
    buttons.append([menu_button(turn)])
    turn.say("escalation.parent.open_list", buttons)


def choose_kind(turn: Turn) -> None:
    """Ask what the request is about."""
    turn.set_state("idle")
    buttons = [[Button(turn.t(f"escalation.kind_buttons.{kind}"), f"k:k:{kind}")] for kind in KINDS]
    buttons.append([menu_button(turn)])
    turn.say("escalation.parent.choose_kind", buttons)


def safeguarding(turn: Turn) -> None:
    """The council's safeguarding and emergency guidance from the local pack, at once."""
    council = turn.services.kb.council
    contact = council.contacts.get("safeguarding") if council else None
    buttons = []
    if contact is not None and contact.url:
        buttons.append([Button(button_label(contact.name), url=contact.url)])
    if council is not None and council.safeguarding_message:
        body = markdown_to_html(council.safeguarding_message)
        turn.reply(turn.t("escalation.parent.safeguarding_head") + "\n\n" + body, buttons)
        return
    fallback = contact.url if contact and contact.url else None
    if fallback is None and council is not None:
        offer = council.contacts.get("local_offer")
        fallback = offer.url if offer else None
    turn.reply(
        turn.t("escalation.parent.safeguarding_missing", council=turn.services.kb.council_name),
        buttons
        or ([[Button(turn.t("escalation.parent.council_page"), url=fallback)]] if fallback else []),
    )


async def kind_press(turn: Turn, kind: str) -> None:
    """A kind was chosen: urgent gets the safeguarding guidance first; then ask for the text."""
    if kind not in KINDS:
        await stale_button(turn)
        return
    if kind == "urgent":
        safeguarding(turn)
    turn.set_state(STATE_TEXT, kind=kind, token=new_draft_token())
    turn.say(
        f"escalation.parent.ask_text.{kind}",
        [[Button(turn.t("escalation.parent.cancel_button"), "k:x")]],
    )


async def text_entered(turn: Turn) -> None:
    """The parent's message: keep it encrypted in the draft and show the consent screen."""
    data = turn.data
    kind, token = data.get("kind"), data.get("token")
    if kind not in KINDS or not isinstance(token, str):
        choose_kind(turn)
        return
    turn.set_state(
        STATE_CONFIRM,
        kind=kind,
        token=token,
        text=turn.services.keyring.encrypt(turn.text),
        case=None,
        reply=False,
    )
    await consent_screen(turn)


async def text_replaced(turn: Turn) -> None:
    """Text typed on the consent screen replaces the message; the screen is shown again."""
    data = turn.data
    data["text"] = turn.services.keyring.encrypt(turn.text)
    turn.set_state(STATE_CONFIRM, **data)
    turn.say("escalation.parent.text_replaced")
    await consent_screen(turn)


async def consent_screen(turn: Turn, edit: bool = False) -> None:
    """Show exactly what will be shared, with the case toggle, Send, Change and Cancel.

    After a toggle (edit=True) the adapter replaces the screen instead of adding one.
    """
    data = turn.data
    kind, token = str(data["kind"]), str(data["token"])
    text = open_text(turn.services, data.get("text"))
    cases = await parents.shareable_cases(turn.uow, parent_of(turn))
    shared = next((c for c in cases if c.id == data.get("case")), None)
    lines = [turn.t("escalation.consent.head")]
    if kind == "offer":
        key = (
            "escalation.consent.offer_reply"
            if data.get("reply")
            else "escalation.consent.offer_anonymous"
        )
        lines.append(turn.t(key))
    else:
        lines.append(turn.t("escalation.consent.intro"))
    lines.append(turn.t("escalation.consent.kind", kind=kind_name(turn.services, kind)))
    lines.append(turn.t("escalation.consent.text_head"))
    lines.append(f"<blockquote>{escape(text)}</blockquote>")
    buttons: list[list[Button]] = []
    if shares_case(kind):
        if shared is not None:
            lines.append(turn.t("escalation.consent.case", reference=shared.reference))
        elif cases:
            lines.append(turn.t("escalation.consent.no_case"))
        for case in cases[:MAX_SHARED_CASES]:
            ticked = shared is not None and case.id == shared.id
            label = "escalation.consent.case_on" if ticked else "escalation.consent.case_off"
            buttons.append(
                [
                    Button(
                        button_label(turn.t(label, reference=case.reference)),
                        f"k:t:{token}:{case.id}",
                    )
                ]
            )
        lines.append(turn.t("escalation.consent.not_shared"))
    else:
        label = (
            "escalation.consent.reply_on" if data.get("reply") else "escalation.consent.reply_off"
        )
        buttons.append([Button(turn.t(label), f"k:f:{token}")])
    buttons.append(
        [
            Button(turn.t("escalation.consent.send"), f"k:s:{token}"),
            Button(turn.t("escalation.consent.change"), f"k:e:{token}"),
        ]
    )
    buttons.append([Button(turn.t("escalation.parent.cancel_button"), "k:x")])
    turn.reply("\n\n".join(lines), buttons, meta={"edit": "1"} if edit else {})


def _draft_for(turn: Turn, token: str) -> dict[str, object] | None:
    """The draft on the consent screen, if the button belongs to it."""
    data = turn.data
    if turn.state != STATE_CONFIRM or data.get("token") != token:
        return None
    return data


async def _open_draft(turn: Turn, token: str) -> dict[str, object] | None:
    """The draft a consent-screen button belongs to; else answer the press and give None."""
    data = _draft_for(turn, token)
    if data is None and not await _already_sent(turn, token):
        await stale_button(turn)
    return data


async def _already_sent(turn: Turn, token: str) -> bool:
    """Answer a Send or toggle for a draft that was submitted already; True if it was."""
    ticket = await parents.submitted(turn.uow, parent_of(turn), token)
    if ticket is None:
        return False
    turn.say("escalation.parent.already_sent", [[menu_button(turn)]], reference=ticket.reference)
    return True


async def toggle_case(turn: Turn, token: str, case_text: str) -> None:
    """Tick or untick sharing one linked case's reference."""
    data = await _open_draft(turn, token)
    if data is None:
        return
    case_id = int(case_text) if case_text.isdigit() else None
    case = await parents.shareable_case(turn.uow, parent_of(turn), case_id)
    if case is not None:
        data["case"] = None if data.get("case") == case.id else case.id
        turn.set_state(STATE_CONFIRM, **data)
    await consent_screen(turn, edit=True)


async def toggle_reply(turn: Turn, token: str) -> None:
    """Tick or untick 'I'd like a reply' on Local Offer feedback."""
    data = await _open_draft(turn, token)
    if data is None:
        return
    data["reply"] = not data.get("reply")
    turn.set_state(STATE_CONFIRM, **data)
    await consent_screen(turn, edit=True)


async def send_press(turn: Turn, token: str) -> None:
    """Send: save the ticket (once, whatever the number of presses) and acknowledge it."""
    if await _already_sent(turn, token):
        return
    data = _draft_for(turn, token)
    if data is None:
        await stale_button(turn)
        return
    services, desk = turn.services, chat_desk(turn.services)
    kind = str(data["kind"])
    text = services.keyring.decrypt(str(data["text"]))
    turn.set_state("idle")
    case_id = data.get("case")
    draft = Draft(
        kind=kind,
        text=text,
        token=token,
        case_id=case_id if isinstance(case_id, int) else None,
        wants_reply=bool(data.get("reply")),
    )
    sent = await parents.send(turn.uow, desk, parent_of(turn), draft)
    if isinstance(sent, OfferFeedback):
        turn.say(
            "escalation.parent.feedback_thanks", [[menu_button(turn)]], reference=sent.reference
        )
        return
    ticket = sent.ticket
    turn.say(
        "escalation.parent.acknowledged",
        [*parent_buttons(services, ticket), [menu_button(turn)]],
        reference=ticket.reference,
        due=when(ticket.due_at),
    )


async def change_press(turn: Turn, token: str) -> None:
    """Change the text: ask for it again, keeping the kind and the draft."""
    data = await _open_draft(turn, token)
    if data is None:
        return
    turn.set_state(STATE_TEXT, kind=data["kind"], token=token)
    turn.say(
        "escalation.parent.ask_again", [[Button(turn.t("escalation.parent.cancel_button"), "k:x")]]
    )


async def cancel_press(turn: Turn) -> None:
    """Cancel the draft; nothing is sent."""
    turn.set_state("idle")
    turn.say("escalation.parent.cancelled", [[menu_button(turn)]])


async def contact_button(turn: Turn) -> None:
    """Every k: button."""
    parts = turn.inbound.text.split(":")
    action = parts[1] if len(parts) > 1 else ""
    arg = parts[2] if len(parts) > 2 else ""
    extra = parts[3] if len(parts) > 3 else ""
    if action == "n":
        choose_kind(turn)
    elif action == "k":
        await kind_press(turn, arg)
    elif action == "t":
        await toggle_case(turn, arg, extra)
    elif action == "f":
        await toggle_reply(turn, arg)
    elif action == "s":
        await send_press(turn, arg)
    elif action == "e":
        await change_press(turn, arg)
    elif action == "x":
        await cancel_press(turn)
    elif action == "v":
        await view_ticket(turn, arg)
    elif action == "a":
        await add_press(turn, arg)
    elif action == "z":
        await close_press(turn, arg)
    elif action == "r":
        await rate_press(turn, arg, extra)
    else:
        await stale_button(turn)


async def contact_command(turn: Turn) -> None:
    """/contact: talk to someone."""
    await show_contact(turn)


def register(router: Router) -> None:
    """Register this flow's handlers."""
    router.command("contact")(contact_command)
    router.button("k")(contact_button)
    router.state(STATE_TEXT)(text_entered)
    router.state(STATE_CONFIRM)(text_replaced)
    router.state(STATE_ADD)(add_entered)
