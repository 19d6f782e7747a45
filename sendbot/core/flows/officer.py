"""The officers' side: join with a code, claim, read, reply, attach, close, list, reassign.

Every officer command works only in a private chat with an active officer; anyone else,
and any wrong code, gets exactly the answer to an unknown command. Only the Claim button
works in the officers' group. Button data: o:c:REF claim, o:v:REF view, o:z:REF close.
Every read of a ticket's content and every action is written to the audit log.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable

from sendbot.core.dialogue import Handler, Router, Turn
from sendbot.core.escalation.notices import Desk
from sendbot.core.escalation.officers import holder_name, internal_name, join, officer_for
from sendbot.core.escalation.references import find_reference, read_reference
from sendbot.core.escalation.results import (
    AlreadyClaimed,
    EmptyText,
    FeedbackNotFound,
    NoSuchEntry,
    NoSuchOfficer,
    TextTooLong,
    TicketClosed,
    TicketNotFound,
)
from sendbot.core.escalation.service import feedback, officers
from sendbot.core.escalation.tickets import age, kind_name, when
from sendbot.core.floods import invite_paused_until, record_invite_failure
from sendbot.core.flows.contact import parent_reply_to
from sendbot.core.flows.menu import unknown_command
from sendbot.core.flows.ticket_notices import (
    chat_desk,
    claimed_summary,
    officer_buttons,
    officer_view,
)
from sendbot.core.messages import Button, InboundKind
from sendbot.storage.models import Officer

STATE_NAME = "officer_name"
NAME_PATTERN = re.compile(r"^[^\W\d_][^\W\d_' -]*(?:['’ -][^\W\d_]+)*$")
LIST_LIMIT = 30
FEEDBACK_LIMIT = 10

OfficerHandler = Callable[[Turn, Officer], Awaitable[None]]


async def _officer(turn: Turn, private: bool = True) -> Officer | None:
    """The officer sending this, if they are one (and in a private chat when required)."""
    if private and not turn.inbound.private:
        return None
    return await officer_for(turn.uow, turn.services.keyring, turn.inbound)


def officers_only(lead: bool = False) -> Callable[[OfficerHandler], Handler]:
    """Let only an active officer (or lead) in private run a command; others: unknown command."""

    def decorate(handler: OfficerHandler) -> Handler:
        @functools.wraps(handler)
        async def guarded(turn: Turn) -> None:
            officer = await _officer(turn)
            if officer is None or (lead and officer.role != "lead"):
                await unknown_command(turn)
                return
            await handler(turn, officer)

        return guarded

    return decorate


def _desk(turn: Turn) -> Desk:
    """The escalation desk for this turn: its services, and news told in chat."""
    return chat_desk(turn.services)


def _split(argument: str) -> tuple[str | None, str]:
    """A reference and the rest of the text: 'T-ABC234 thanks' -> ('T-ABC234', 'thanks')."""
    parts = argument.split(maxsplit=1)
    if not parts:
        return None, ""
    return read_reference(parts[0]), parts[1].strip() if len(parts) > 1 else ""


async def officer_command(turn: Turn) -> None:
    """/officer CODE: join as an officer; any failure looks like an unknown command.

    Wrong codes are counted per chat and from all chats, and audited; while a chat or
    everyone is paused no code is even checked, so a flood uses nothing up.
    """
    services, now = turn.services, turn.services.clock()
    chat_key = turn.conversation.chat_key
    attempt = turn.inbound.private and bool(turn.inbound.argument)
    if attempt and await invite_paused_until(turn.uow, services, chat_key, now) is not None:
        await unknown_command(turn)
        return
    officer = await join(turn.uow, services.keyring, turn.inbound, turn.inbound.argument, now)
    if officer is None:
        if attempt:
            await record_invite_failure(turn.uow, services, chat_key, now)
        await unknown_command(turn)
        return
    role = turn.t(f"escalation.roles.{officer.role}")
    turn.say("escalation.officer.welcome", role=role)
    if turn.services.settings.officer_display == "first_name" and not officer.name:
        turn.set_state(STATE_NAME)
        turn.say("escalation.officer.ask_name")


async def name_entered(turn: Turn) -> None:
    """The first name an officer wants parents to see."""
    officer = await _officer(turn)
    turn.set_state("idle")
    if officer is None:
        await unknown_command(turn)
        return
    name = turn.text.strip()
    if not NAME_PATTERN.match(name) or len(name) > 40:
        turn.set_state(STATE_NAME)
        turn.say("escalation.officer.bad_name")
        return
    officer.name = name
    turn.say("escalation.officer.name_saved", name=name)


@officers_only()
async def tickets_command(turn: Turn, officer: Officer) -> None:
    """/tickets: open tickets by due date: unclaimed and your own (a lead: all)."""
    services = turn.services
    found = await officers.queue(turn.uow, _desk(turn), officer)
    if not found.tickets:
        turn.say("escalation.officer.no_tickets")
        return
    now = services.clock()
    lines = [
        turn.t(
            "escalation.officer.list_head_lead"
            if found.everything
            else "escalation.officer.list_head"
        )
    ]
    buttons: list[list[Button]] = []
    for summary in found.tickets[:LIST_LIMIT]:
        ticket, holder = summary.ticket, summary.holder
        overdue = turn.t("escalation.officer.overdue_mark") if summary.overdue else ""
        lines.append(
            turn.t(
                "escalation.officer.list_line",
                reference=ticket.reference,
                kind=kind_name(services, ticket.kind),
                age=age(services, ticket.created_at, now),
                due=when(ticket.due_at),
                holder=holder_name(services, holder),
            )
            + overdue
        )
        if holder is None:
            buttons.append(
                [
                    Button(
                        turn.t("escalation.officer.claim_ref", reference=ticket.reference),
                        f"o:c:{ticket.reference}",
                    )
                ]
            )
        else:
            buttons.append(
                [
                    Button(
                        turn.t("escalation.officer.open_ref", reference=ticket.reference),
                        f"o:v:{ticket.reference}",
                    )
                ]
            )
    if len(found.tickets) > LIST_LIMIT:
        more = len(found.tickets) - LIST_LIMIT
        lines.append(turn.t("escalation.officer.list_more", count=more))
    turn.reply("\n".join(lines), buttons)


@officers_only()
async def ticket_command(turn: Turn, officer: Officer) -> None:
    """/ticket REF: the full ticket, for the officer holding it or a lead."""
    reference, _ = _split(turn.inbound.argument)
    await _show(turn, officer, reference)


async def _show(turn: Turn, officer: Officer, reference: str | None) -> None:
    """Reply with a ticket's full view, audited, or say it cannot be opened."""
    try:
        view = await officers.view(turn.uow, _desk(turn), officer, reference)
    except TicketNotFound:
        turn.say("escalation.officer.not_yours")
        return
    ticket = view.ticket
    turn.reply(
        officer_view(turn.services, view),
        officer_buttons(turn.services, ticket) if ticket.status != "closed" else (),
    )


@officers_only()
async def claim_command(turn: Turn, officer: Officer) -> None:
    """/claim REF: take an unclaimed ticket."""
    reference, _ = _split(turn.inbound.argument)
    await _claim(turn, officer, reference)


async def _claim(turn: Turn, officer: Officer, reference: str | None) -> None:
    """Claim a ticket; the winner gets its full text privately, everyone hears who won."""
    try:
        ticket = await officers.claim(turn.uow, _desk(turn), officer, reference)
    except TicketNotFound:
        turn.say("escalation.officer.not_yours")
        return
    except TicketClosed as closed:
        turn.say("escalation.officer.already_closed", reference=closed.ticket.reference)
        return
    except AlreadyClaimed as taken:
        turn.say(
            "escalation.officer.claimed_already",
            reference=taken.ticket.reference,
            officer=internal_name(turn.services, taken.holder),
        )
        return
    claimed = turn.t(
        "escalation.officer.claimed",
        reference=ticket.reference,
        officer=internal_name(turn.services, officer),
    )
    if turn.inbound.kind is InboundKind.BUTTON and not turn.inbound.private:
        # In the group, the summary itself is replaced: its Claim button goes.
        summary = await claimed_summary(turn.uow, turn.services, ticket)
        turn.reply(summary + "\n\n" + claimed, meta={"edit": "1"})
    else:
        turn.reply(claimed)


@officers_only()
async def reply_command(turn: Turn, officer: Officer) -> None:
    """/reply REF text: send a reply to the parent."""
    reference, text = _split(turn.inbound.argument)
    await _reply(turn, officer, reference, text)


async def _reply(turn: Turn, officer: Officer, reference: str | None, text: str) -> None:
    """Keep and queue a reply to a ticket this officer holds."""
    try:
        replied = await officers.reply(turn.uow, _desk(turn), officer, reference, text)
    except TicketNotFound:
        turn.say("escalation.officer.not_yours")
        return
    except TicketClosed as closed:
        turn.say("escalation.officer.already_closed", reference=closed.ticket.reference)
        return
    except EmptyText:
        turn.say("escalation.officer.reply_usage")
        return
    except TextTooLong as long:
        turn.say("too_long", length=long.length, limit=long.limit)
        return
    key = "reply_queued" if replied.reached else "parent_gone"
    turn.say(f"escalation.officer.{key}", reference=replied.ticket.reference)


@officers_only()
async def attach_command(turn: Turn, officer: Officer) -> None:
    """/attach REF ENTRY-ID: send the parent a knowledge entry."""
    reference, entry_id = _split(turn.inbound.argument)
    try:
        replied, title = await officers.attach(turn.uow, _desk(turn), officer, reference, entry_id)
    except TicketNotFound:
        turn.say("escalation.officer.not_yours")
        return
    except NoSuchEntry as missing:
        turn.say("escalation.officer.no_entry", entry=missing.wanted)
        if missing.suggestions:
            ids = ", ".join(missing.suggestions)
            turn.say("escalation.officer.entry_suggestions", ids=ids)
        return
    except TicketClosed as closed:
        turn.say("escalation.officer.already_closed", reference=closed.ticket.reference)
        return
    turn.say("escalation.officer.attach_queued", reference=replied.ticket.reference, title=title)


@officers_only()
async def close_command(turn: Turn, officer: Officer) -> None:
    """/close REF: close a ticket; the parent is told and asked to rate the help."""
    reference, _ = _split(turn.inbound.argument)
    await _close(turn, officer, reference)


async def _close(turn: Turn, officer: Officer, reference: str | None) -> None:
    """Close a ticket this officer holds (or a lead may open), or say why not."""
    try:
        ticket = await officers.close(turn.uow, _desk(turn), officer, reference)
    except TicketNotFound:
        turn.say("escalation.officer.not_yours")
    except TicketClosed as closed:
        turn.say("escalation.officer.already_closed", reference=closed.ticket.reference)
    else:
        turn.say("escalation.officer.closed", reference=ticket.reference)


@officers_only(lead=True)
async def reassign_command(turn: Turn, officer: Officer) -> None:
    """/reassign REF OFFICER-NUMBER: a lead hands a ticket to another officer."""
    reference, rest = _split(turn.inbound.argument)
    try:
        moved = await officers.reassign(turn.uow, _desk(turn), officer, reference, rest)
    except TicketNotFound:
        turn.say("escalation.officer.not_yours")
    except NoSuchOfficer as missing:
        turn.say("escalation.officer.no_officer", number=missing.number)
    except TicketClosed as closed:
        turn.say("escalation.officer.already_closed", reference=closed.ticket.reference)
    else:
        turn.say(
            "escalation.officer.reassigned",
            reference=moved.ticket.reference,
            officer=internal_name(turn.services, moved.to),
        )


@officers_only(lead=True)
async def officers_command(turn: Turn, officer: Officer) -> None:
    """/officers: a lead sees every active officer's number, role and name."""
    lines = [turn.t("escalation.officer.officers_head")]
    for other in await officers.team(turn.uow, officer):
        lines.append(
            turn.t(
                "escalation.officer.officers_line",
                number=other.id,
                role=turn.t(f"escalation.roles.{other.role}"),
                name=other.name or "-",
            )
        )
    turn.reply("\n".join(lines))


@officers_only()
async def feedback_command(turn: Turn, officer: Officer) -> None:
    """/feedback: the latest Local Offer feedback (redacted), its own queue."""
    services = turn.services
    page = await feedback.latest(turn.uow, _desk(turn), officer, FEEDBACK_LIMIT)
    if not page.items:
        turn.say("escalation.officer.no_feedback")
        return
    lines = [turn.t("escalation.officer.feedback_head", count=page.total)]
    for item, text in page.items:
        lines.append(
            turn.t(
                "escalation.officer.feedback_line",
                reference=item.reference,
                at=when(item.received_at),
                text=services.texts.get("escalation.erased") if text is None else text,
                answered=turn.t("escalation.officer.feedback_answered") if item.response else "",
            )
        )
    lines.append(turn.t("escalation.officer.feedback_how"))
    turn.reply("\n\n".join(lines))


@officers_only()
async def wedid_command(turn: Turn, officer: Officer) -> None:
    """/wedid F-REF text: record what the council did about a piece of feedback."""
    parts = turn.inbound.argument.split(maxsplit=1)
    reference = parts[0] if parts else ""
    text = parts[1].strip() if len(parts) > 1 else ""
    try:
        item = await feedback.respond(turn.uow, _desk(turn), officer, reference, text)
    except FeedbackNotFound:
        turn.say("escalation.officer.wedid_usage")
        return
    turn.say("escalation.officer.wedid_saved", reference=item.reference)


async def officer_button(turn: Turn) -> None:
    """o: buttons: Claim works in the group too; the rest only in private."""
    parts = turn.inbound.text.split(":")
    action = parts[1] if len(parts) > 1 else ""
    reference = read_reference(parts[2]) if len(parts) > 2 else None
    officer = await _officer(turn, private=action != "c")
    if officer is None:
        await unknown_command(turn)
        return
    if action == "c":
        await _claim(turn, officer, reference)
    elif action == "v":
        await _show(turn, officer, reference)
    elif action == "z":
        await _close(turn, officer, reference)
    else:
        turn.say("stale_button")


def reply_to_handler(fallback: Handler | None) -> Handler:
    """Free text: an officer's reply to a ticket message, a parent's reply to one of theirs,
    or else whatever handled free text before (answering questions). Text in a group (the
    officers' group) is left alone."""

    async def handle(turn: Turn) -> None:
        if not turn.inbound.private:
            return  # chatter in the officers' group is not a parent's question
        if turn.inbound.reply_to:
            officer = await _officer(turn)
            reference = find_reference(turn.inbound.reply_to)
            if officer is not None and reference is not None:
                await _reply(turn, officer, reference, turn.text)
                return
            if officer is None and await parent_reply_to(turn):
                return
        if fallback is not None:
            await fallback(turn)

    return handle


# Commands that answer in a group too (with the unknown command's answer, unless the
# officer is in a private chat); every other command in a group points to a private chat.
COMMANDS: dict[str, Handler] = {
    "officer": officer_command,
    "tickets": tickets_command,
    "ticket": ticket_command,
    "claim": claim_command,
    "reply": reply_command,
    "attach": attach_command,
    "close": close_command,
    "reassign": reassign_command,
    "officers": officers_command,
    "feedback": feedback_command,
    "wedid": wedid_command,
}
BUTTONS = ("o",)


def register(router: Router) -> None:
    """Register this flow's handlers (after the flow that answers free text)."""
    for name, handler in COMMANDS.items():
        router.command(name)(handler)
    router.button("o")(officer_button)
    router.state(STATE_NAME)(name_entered)
    router.default_text = reply_to_handler(router.default_text)
