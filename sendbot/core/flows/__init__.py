"""The dialogue's flows; each module registers its handlers on a router."""

from __future__ import annotations

from sendbot.core.dialogue import Router
from sendbot.core.flows import answers, browse, menu, mycase


def build_router() -> Router:
    """A router with every flow registered."""
    router = Router()
    for flow in (menu, browse, answers, mycase):
        flow.register(router)
    return router
