"""What the web chat's aiohttp application holds for its handlers, by typed key."""

from __future__ import annotations

import asyncio

from aiohttp import web

from sendbot.adapters.web.chat import WebChat
from sendbot.adapters.web.ratelimit import RateLimits


class Streams:
    """The event streams open in this process."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[object]] = set()


CHAT = web.AppKey("chat", WebChat)
LIMITS = web.AppKey("limits", RateLimits)
STREAMS = web.AppKey("streams", Streams)
