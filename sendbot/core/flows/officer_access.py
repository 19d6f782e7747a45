"""Who is an officer in chat: joining with an invite code, the first name, the guard.

Every officer command works only in a private chat with an active officer; anyone else,
and any wrong code, gets exactly the answer to an unknown command.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable

from sendbot.core.dialogue import Handler, Turn
from sendbot.core.escalation.notices import Desk
from sendbot.core.escalation.officers import join, officer_for
from sendbot.core.escalation.references import read_reference
from sendbot.core.floods import invite_paused_until, record_invite_failure
from sendbot.core.flows.menu import unknown_command
from sendbot.core.flows.ticket_notices import chat_desk
from sendbot.storage.models import Officer

STATE_NAME = "officer_name"
NAME_PATTERN = re.compile(r"^[^\W\d_][^\W\d_' -]*(?:['’ -][^\W\d_]+)*$")

OfficerHandler = Callable[[Turn, Officer], Awaitable[None]]


async def sender_officer(turn: Turn, private: bool = True) -> Officer | None:
    """The officer sending this, if they are one (and in a private chat when required)."""
    if private and not turn.inbound.private:
        return None
    return await officer_for(turn.uow, turn.services.keyring, turn.inbound)


def officers_only(lead: bool = False) -> Callable[[OfficerHandler], Handler]:
    """Let only an active officer (or lead) in private run a command; others: unknown command."""

    def decorate(handler: OfficerHandler) -> Handler:
        @functools.wraps(handler)
        async def guarded(turn: Turn) -> None:
            officer = await sender_officer(turn)
            if officer is None or (lead and officer.role != "lead"):
                await unknown_command(turn)
                return
            await handler(turn, officer)

        return guarded

    return decorate


def desk_for(turn: Turn) -> Desk:
    """The escalation desk for this turn: its services, and news told in chat."""
    return chat_desk(turn.services)


def split_reference(argument: str) -> tuple[str | None, str]:
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
    officer = await sender_officer(turn)
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
