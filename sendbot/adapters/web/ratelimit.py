"""Rate limits per session and per IP address, counted by the `limits` library.

The counts are kept in this process's memory (`limits`' MemoryStorage): with N processes
behind a proxy each counts on its own, so a client that the proxy spreads across them
gets up to N times the limit. A shared storage (`limits` supports Redis, Memcached and
MongoDB through `storage_uri`) is the step up when that matters.
"""

from __future__ import annotations

from aiohttp import web
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from sendbot.config import Settings


class RateLimits:
    """Whether a session, or an address, may make one more request now."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.per_session: RateLimitItem = parse(settings.web_rate_session)
        self.per_ip: RateLimitItem = parse(settings.web_rate_ip)
        self.trust_proxy = settings.web_trust_proxy
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())

    def address(self, request: web.Request) -> str:
        """The client's address: the proxy's last X-Forwarded-For hop when it is trusted."""
        if self.trust_proxy:
            forwarded = request.headers.get("X-Forwarded-For", "")
            hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
            if hops:
                return hops[-1]
        return request.remote or "unknown"

    async def allow_ip(self, request: web.Request) -> bool:
        """Count one request from the client's address; False when over its limit."""
        return await self._limiter.hit(self.per_ip, "web-ip", self.address(request))

    async def allow_session(self, chat_key: str) -> bool:
        """Count one message from a session; False when over its limit."""
        return await self._limiter.hit(self.per_session, "web-session", chat_key)
