"""Welcome, help, the main menu, privacy, and kind answers to odd input."""

from __future__ import annotations

from sendbot.core.dialogue import Router, Turn
from sendbot.core.flows.browse import show_entry, show_sections
from sendbot.core.flows.common import main_menu, menu_button, stale_button
from sendbot.core.flows.contact import show_contact
from sendbot.core.flows.mycase import show_my_case
from sendbot.core.flows.rights import show_privacy_notice


async def start(turn: Turn) -> None:
    """Welcome a parent, say a word on privacy and show the menu."""
    turn.set_state("idle")
    turn.say("welcome", council=turn.services.kb.council_name)
    turn.reply(turn.t("welcome_privacy") + "\n\n" + turn.t("menu_prompt"), main_menu(turn))


async def show_menu(turn: Turn) -> None:
    """Show the main menu, leaving any half-finished flow."""
    turn.set_state("idle")
    turn.say("menu_prompt", main_menu(turn))


async def show_help(turn: Turn) -> None:
    """Explain what the bot can do."""
    turn.say("help", [[menu_button(turn)]])


async def show_privacy(turn: Turn) -> None:
    """The privacy notice: who holds what, why, for how long and who sees it."""
    await show_privacy_notice(turn)


async def ask(turn: Turn) -> None:
    """Invite a question."""
    turn.set_state("idle")
    turn.say("ask_prompt")


async def local_offer(turn: Turn) -> None:
    """Show the Local Offer entry in force for this council."""
    await show_entry(turn, "local-offer")


async def menu_press(turn: Turn) -> None:
    """Handle a main-menu button."""
    choice = turn.inbound.text.split(":", 1)[1] if ":" in turn.inbound.text else ""
    actions = {
        "menu": show_menu,
        "ask": ask,
        "offer": local_offer,
        "privacy": show_privacy,
        "topics": show_sections,
        "case": show_my_case,
        "contact": show_contact,
    }
    if choice in actions:
        await actions[choice](turn)
    else:
        await stale_button(turn)


async def unknown_command(turn: Turn) -> None:
    """Answer an unknown command the same way whatever it was."""
    turn.say("unknown_command")


async def unsupported(turn: Turn) -> None:
    """Photos, voice notes, stickers and files."""
    turn.say("unsupported")


def register(router: Router) -> None:
    """Register this flow's handlers."""
    router.command("start")(start)
    router.command("menu", "cancel")(show_menu)
    router.command("help")(show_help)
    router.command("privacy")(show_privacy)
    router.command("ask")(ask)
    router.button("m")(menu_press)
    router.unknown_command = unknown_command
    router.stale_button = stale_button
    router.unsupported = unsupported
