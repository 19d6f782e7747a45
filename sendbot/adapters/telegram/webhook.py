"""A webhook server that answers Telegram only once the update has been handled.

PTB's built-in webhook answers 200 as soon as an update is queued in memory: a crash then
loses it, and a chat's next update, sent to another process, may be handled first. Here
each POST is handled to the end (replies sent) before the answer: 200 when done, 500 when
handling failed, so Telegram sends the update again (the update_id dedupe makes a second
copy harmless). Telegram sends a chat's next update only after the previous one's answer,
so with several processes behind a proxy each chat is still answered in order.
"""

from __future__ import annotations

import hmac
import json
import logging
from http import HTTPStatus
from typing import Any

import tornado.web
from telegram import Update
from telegram.ext import Application, ContextTypes
from tornado.httpserver import HTTPServer

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1_000_000  # an update is a few kilobytes at most

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

    async def _note_failure(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Remember that handling this update raised (the adapter's handler tells the parent)."""
        if isinstance(update, Update):
            self._failed.add(update.update_id)

    def authentic(self, token: str | None) -> bool:
        """Whether the request carries our secret token (compared in constant time)."""
        return token is not None and hmac.compare_digest(token.encode(), self._secret)

    async def receive(self, token: str | None, body: bytes) -> HTTPStatus:
        """Handle one POST to the end and return the status to answer."""
        if not self.authentic(token):
            return HTTPStatus.FORBIDDEN
        try:
            update = Update.de_json(json.loads(body), self.application.bot)
        except (ValueError, TypeError, KeyError):
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


class _UpdateHandler(tornado.web.RequestHandler):
    """The one route: POST an update."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, receiver: UpdateReceiver) -> None:
        """Tornado's per-request set-up."""
        self.receiver = receiver

    async def post(self, *args: Any) -> None:
        """Answer only after the update has been handled."""
        token = self.request.headers.get(SECRET_HEADER)
        status = await self.receiver.receive(token, self.request.body)
        self.set_status(status)
        self.finish()


class _QuietApplication(tornado.web.Application):
    """Tornado's application without its per-request access log (it would log the path)."""

    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """Log nothing per request."""


class WebhookServer:
    """Serves one URL path on listen:port, handing each POSTed update to the Application."""

    def __init__(
        self, application: TelegramApp, listen: str, port: int, url_path: str, secret_token: str
    ) -> None:
        self.listen = listen
        self.port = port
        self.receiver = UpdateReceiver(application, secret_token)
        path = "/" + url_path.strip("/")
        routes = [(rf"{path.rstrip('/')}/?", _UpdateHandler, {"receiver": self.receiver})]
        self._server = HTTPServer(
            _QuietApplication(routes), max_body_size=MAX_BODY_BYTES, idle_connection_timeout=60
        )
        self.running = False

    async def start(self) -> None:
        """Start listening (the event loop serves requests from now on)."""
        self._server.listen(self.port, address=self.listen)
        self.running = True
        log.info("webhook server listening on %s:%s", self.listen, self.port)

    async def stop(self) -> None:
        """Stop accepting requests and close open connections."""
        if not self.running:
            return
        self.running = False
        self._server.stop()
        await self._server.close_all_connections()
