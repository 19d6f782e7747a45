"""Group chats: the bot does officers' work there only; a parent's flow points to a private chat.

Linking a case, the contact flow's consent, /mydata, /deleteme and free text all deal
with one family's details; in a group (the officers' group or any other) they are
answered with one line pointing to a private chat, and nothing else happens. Officer
commands and their buttons keep their own rules (officer.py), and an unknown command
gets the usual answer, so a group cannot tell officer commands from unknown ones.
"""

from __future__ import annotations

import functools

from sendbot.core.dialogue import Handler, Router, Turn
from sendbot.core.flows import officer


def private_only(handler: Handler) -> Handler:
    """Run the handler in a private chat; in a group, say one line and do nothing else."""

    @functools.wraps(handler)
    async def guarded(turn: Turn) -> None:
        if turn.inbound.private:
            await handler(turn)
            return
        turn.set_state("idle")
        turn.say("private_only")

    return guarded


def register(router: Router) -> None:
    """Wrap every parent's handler registered so far (register this flow last)."""
    for name, handler in list(router.commands.items()):
        if name not in officer.COMMANDS:
            router.commands[name] = private_only(handler)
    for prefix, handler in list(router.buttons.items()):
        if prefix not in officer.BUTTONS:
            router.buttons[prefix] = private_only(handler)
    for state, handler in list(router.states.items()):
        router.states[state] = private_only(handler)
    for attribute in ("default_text", "stale_button", "unsupported"):
        handler = getattr(router, attribute)
        if handler is not None:
            setattr(router, attribute, private_only(handler))
