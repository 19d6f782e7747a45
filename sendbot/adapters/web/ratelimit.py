"""Rate limits per session and per IP address, counted by the `limits` library.

The counts live where every process behind a proxy sees them: by default in the database
(`DatabaseStorage`, fixed windows), or in any storage `limits` knows by URI
(`SENDBOT_WEB_RATE_STORAGE`, e.g. `async+redis://127.0.0.1:6379`; `async+memory://` counts in
this process only, for one process or tests).
"""

from __future__ import annotations

from aiohttp import web
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

from sendbot.app import App
from sendbot.config import Settings
from sendbot.storage.rate_counters import DatabaseStorage


class RateLimits:
    """Whether a session, or an address, may make one more request now."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.per_session: RateLimitItem = parse(settings.web_rate_session)
        self.per_ip: RateLimitItem = parse(settings.web_rate_ip)
        self.trust_proxy = settings.web_trust_proxy
        self._limiter = FixedWindowRateLimiter(storage)

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


def rate_storage(app: App) -> Storage:
    """The storage the settings name: the database (the default), or a `limits` URI."""
    uri = app.settings.web_rate_storage
    if uri == "database":
        keyring = app.services.keyring
        return DatabaseStorage(
            app.database, lambda: app.services.clock(), lambda key: keyring.digest("rate", key)
        )
    storage = storage_from_string(uri)
    if not isinstance(storage, Storage):
        raise ValueError("SENDBOT_WEB_RATE_STORAGE needs an async storage (async+redis://...)")
    return storage
