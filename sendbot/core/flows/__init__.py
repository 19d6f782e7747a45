"""The dialogue's flows; each module registers its handlers on a router."""

from __future__ import annotations

from sendbot.core.dialogue import Router
from sendbot.core.flows import (
    answers,
    browse,
    contact,
    council,
    groups,
    letters,
    menu,
    mycase,
    officer,
    rights,
)


def build_router() -> Router:
    """A router with every flow registered."""
    router = Router()
    # officer wraps the free-text handler answers sets, so it comes after answers; groups
    # wraps every parent's handler, so it comes last.
    for flow in (menu, browse, answers, mycase, letters, council, rights, contact, officer, groups):
        flow.register(router)
    return router
