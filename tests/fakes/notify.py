"""A local fake of the GOV.UK Notify API (its v2 e-mail and SMS endpoints), on a thread.

It checks each request's JWT the way Notify does (HS256, signed with the API key's secret,
issued by the service id), records what was sent, and answers as Notify does: 201 with an
id, or Notify's error shapes for a refused recipient (400) and a rate limit (429).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web

REFUSED = {"+447911123999", "refused@example.com"}
BUSY = {"+447911123429", "busy@example.com"}


@dataclass
class FakeNotify:
    """The fake's address, key and what it received."""

    service_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secret: str = field(default_factory=lambda: str(uuid.uuid4()))
    base_url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    rejected_tokens: int = 0

    @property
    def api_key(self) -> str:
        """A key in Notify's format: name-serviceid-secret."""
        return f"sendbot_test-{self.service_id}-{self.secret}"

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return False
        try:
            claims = jwt.decode(
                header[7:], self.secret, algorithms=["HS256"], options={"verify_iat": False}
            )
        except jwt.PyJWTError:
            return False
        return claims.get("iss") == self.service_id

    async def handle(self, request: web.Request) -> web.Response:
        """POST /v2/notifications/{email,sms}."""
        if not self._authorised(request):
            self.rejected_tokens += 1
            return web.json_response(
                {
                    "status_code": 403,
                    "errors": [{"error": "AuthError", "message": "Invalid token"}],
                },
                status=403,
            )
        kind = request.match_info["kind"]
        body = await request.json()
        to = body.get("email_address" if kind == "email" else "phone_number")
        if to in REFUSED:
            return web.json_response(
                {
                    "status_code": 400,
                    "errors": [{"error": "BadRequestError", "message": "Not allowed"}],
                },
                status=400,
            )
        if to in BUSY:
            return web.json_response(
                {
                    "status_code": 429,
                    "errors": [{"error": "RateLimitError", "message": "Too many"}],
                },
                status=429,
            )
        notification_id = str(uuid.uuid4())
        self.sent.append({"kind": kind, "to": to, **body})
        return web.json_response(
            {
                "id": notification_id,
                "reference": body.get("reference"),
                "content": {"body": "", "subject": ""},
                "uri": f"{self.base_url}/v2/notifications/{notification_id}",
                "template": {"id": body.get("template_id"), "version": 1, "uri": ""},
            },
            status=201,
        )


@contextmanager
def fake_notify() -> Iterator[FakeNotify]:
    """Run the fake on 127.0.0.1 in a thread of its own; yield it with its base URL."""
    fake = FakeNotify()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/v2/notifications/{kind:email|sms}", fake.handle)
    runner = web.AppRunner(app)
    ready = threading.Event()
    port: list[int] = []

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port.append(server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        ready.set()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    fake.base_url = f"http://127.0.0.1:{port[0]}"
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
