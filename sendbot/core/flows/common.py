"""Pieces every flow uses: the main menu and the answer to a stale button."""

from __future__ import annotations

from sendbot.core.dialogue import Turn
from sendbot.core.messages import Button

MENU_ITEMS = ("ask", "topics", "case", "contact", "offer", "privacy")


def main_menu(turn: Turn) -> list[list[Button]]:
    """The main menu's buttons, two to a row."""
    buttons = [Button(turn.t(f"menu.{item}"), f"m:{item}") for item in MENU_ITEMS]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def menu_button(turn: Turn) -> Button:
    """A button back to the main menu."""
    return Button(turn.t("main_menu"), "m:menu")


async def stale_button(turn: Turn) -> None:
    """Answer a button that no longer applies, and show the menu."""
    turn.set_state("idle")
    turn.say("stale_button", main_menu(turn))
