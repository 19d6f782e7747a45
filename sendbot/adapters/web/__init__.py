"""The web chat adapter: the parents' chat page, its widget and API, on aiohttp."""

from sendbot.adapters.web.sessions import CHANNEL

__all__ = ["CHANNEL"]
