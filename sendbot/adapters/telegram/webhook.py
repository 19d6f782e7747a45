"""A webhook server that answers Telegram only once the update has been handled.

PTB's built-in webhook answers 200 as soon as an update is queued in memory: a crash then
loses it, and a chat's next update, sent to another process, may be handled first. Here
each POST is handled to the end (replies sent) before the answer: 200 when done, 500 when
handling failed, so Telegram sends the update again (the update_id dedupe makes a second
copy harmless). Telegram sends a chat's next update only after the previous one's answer,
so with several processes behind a proxy each chat is still answered in order.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from http import HTTPStatus
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application, ContextTypes

log = logging.getLogger(__name__)

# The name of the header Telegram puts the secret in, not a secret itself (bandit B105).
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # nosec B105
MAX_BODY_BYTES = 1_000_000  # an update is a few kilobytes at most
IDLE_TIMEOUT_S = 60  # a kept-alive connection with no request for this long is closed
BODY_WITHIN_S = 5.0  # Telegram sends a body at once; one trickling in is cut off (408)

# Any PTB Application (sendbot's, or the benchmark's echo bot, which imports nothing else).
TelegramApp = Application[Any, Any, Any, Any, Any, Any]


class UpdateReceiver:
    """Checks, parses and handles one webhook request; says which HTTP status to answer."""

    def __init__(self, application: TelegramApp, secret_token: str) -> None:
        if not secret_token:
            raise ValueError("a webhook needs a secret token")
        self.application = application
        self._secret = secret_token.encode()
        self._failed: set[int] = set()
        application.add_error_handler(self._note_failure)
        handlers = application.bot_data.get("sendbot")
        if handlers is not None:  # sendbot's handlers (the echo bot has none)
            handlers.sent_again = True

    async def _note_failure(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Remember that handling this update raised (the adapter's handler tells the parent)."""
        if isinstance(update, Update):
            self._failed.add(update.update_id)

    def authentic(self, token: str | None) -> bool:
        """Whether the request carries our secret token (compared in constant time)."""
        return token is not None and hmac.compare_digest(token.encode(), self._secret)

    async def receive(self, body: bytes) -> HTTPStatus:
        """Handle one authentic POST's body to the end and return the status to answer."""
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("not an update")
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            log.warning("webhook request with a body that is not an update")
            return HTTPStatus.BAD_REQUEST
        try:
            await self.application.process_update(update)
        except Exception as error:  # process_update hands handler errors to on_error itself
            log.error(
                "update %s could not be processed: %s", update.update_id, type(error).__name__
            )
            return HTTPStatus.INTERNAL_SERVER_ERROR
        if update.update_id in self._failed:
            self._failed.discard(update.update_id)
            return HTTPStatus.INTERNAL_SERVER_ERROR
        return HTTPStatus.OK


class WebhookServer:
    """Serves one URL path on listen:port, handing each POSTed update to the Application.

    On aiohttp's server, whose HTTP parser is compiled: about half the CPU per request of
    tornado's, which PTB's own webhook uses.
    """

    def __init__(
        self, application: TelegramApp, listen: str, port: int, url_path: str, secret_token: str
    ) -> None:
        self.listen = listen
        self.port = port
        self.receiver = UpdateReceiver(application, secret_token)
        path = "/" + url_path.strip("/")
        routes = web.Application(client_max_size=MAX_BODY_BYTES)
        for route in {path.rstrip("/") or "/", path.rstrip("/") + "/"}:
            routes.router.add_post(route, self._post)
        # No access log: it would log the path, which holds nothing secret but is noise.
        self._runner = web.AppRunner(
            routes, access_log=None, keepalive_timeout=IDLE_TIMEOUT_S, shutdown_timeout=10
        )
        self.running = False

    async def _post(self, request: web.Request) -> web.Response:
        """Answer only after the update has been handled; refuse a wrong secret unread."""
        if not self.receiver.authentic(request.headers.get(SECRET_HEADER)):
            return web.Response(status=HTTPStatus.FORBIDDEN)
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)  # refused unread
        try:
            async with asyncio.timeout(BODY_WITHIN_S):
                body = await request.read()  # over MAX_BODY_BYTES: aiohttp answers 413
        except TimeoutError:
            log.warning("webhook request whose body did not arrive in time")
            return web.Response(status=HTTPStatus.REQUEST_TIMEOUT)
        status = await self.receiver.receive(body)
        return web.Response(status=status)

    async def start(self) -> None:
        """Start listening (the event loop serves requests from now on)."""
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        self.running = True
        log.info("webhook server listening on %s:%s", self.listen, self.port)

    async def stop(self) -> None:
        """Stop accepting requests, let those in progress finish, close connections."""
        if not self.running:
            return
        self.running = False
        await self._runner.cleanup()
