"""How is the council doing? The figures from the imported cases, for any parent.

Button data: s:council. The figures are council-wide counts (small ones suppressed), so
no case needs to be linked to see them.
"""

from __future__ import annotations

from sendbot.core.cases.stats import council_stats
from sendbot.core.cases.stats_text import stats_text
from sendbot.core.cases.timefmt import london_today
from sendbot.core.dialogue import Router, Turn
from sendbot.core.flows.common import menu_button
from sendbot.core.messages import Button

STATS_BUTTON = "s:council"


def stats_button(turn: Turn) -> Button:
    """The 'How is the council doing?' button."""
    return Button(turn.t("cases.stats_button"), STATS_BUTTON)


async def show_stats(turn: Turn) -> None:
    """The council-wide figures, labelled as management information."""
    turn.set_state("idle")
    services = turn.services
    stats = await council_stats(turn.uow, london_today(services.clock()))
    turn.reply(stats_text(services.texts, services.kb, stats), [[menu_button(turn)]])


def register(router: Router) -> None:
    """Register this flow's handlers."""
    router.button("s")(show_stats)
