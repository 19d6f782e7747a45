"""The webhook: Meta's subscription check (GET) and signed notifications (POST), on aiohttp.

GET answers hub.challenge only when hub.verify_token is ours. Every POST is signed by Meta
with the app secret (X-Hub-Signature-256: sha256=HMAC of the raw body); a request whose
signature does not match is refused unread (401). A POST is answered once its messages
are handled: 200, or 500 if handling failed, so Meta sends it again (message ids make a
second copy harmless). The routes can join `sendbot web`'s server or stand alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from http import HTTPStatus

from aiohttp import web

from sendbot.adapters.whatsapp.handlers import WhatsAppHandlers

log = logging.getLogger(__name__)

PATH = "/whatsapp/webhook"
# The name of the header Meta signs requests in, not a secret itself (bandit B105).
SIGNATURE_HEADER = "X-Hub-Signature-256"  # nosec B105
SIGNATURE_PREFIX = "sha256="
MAX_BODY_BYTES = 3_000_000  # Meta's notifications are at most 3 MB
HANDLERS = web.AppKey("whatsapp_handlers", WhatsAppHandlers)


def signature_ok(app_secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether a body carries Meta's signature with our app secret (constant time)."""
    if not app_secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(app_secret, body, hashlib.sha256).hexdigest()
    given = header[len(SIGNATURE_PREFIX) :].strip().lower()
    return hmac.compare_digest(expected.encode(), given.encode("ascii", "replace"))


def token_ok(verify_token: str, given: str | None) -> bool:
    """Whether a subscription check carries our verify token (constant time)."""
    if not verify_token or given is None:
        return False
    return hmac.compare_digest(verify_token.encode(), given.encode())


async def verify(request: web.Request) -> web.Response:
    """Meta's subscription check: echo the challenge for our verify token, else 403."""
    settings = request.app[HANDLERS].app.settings
    secret = settings.whatsapp_verify_token
    query = request.query
    if query.get("hub.mode") == "subscribe" and token_ok(
        secret.get_secret_value() if secret else "", query.get("hub.verify_token")
    ):
        return web.Response(text=query.get("hub.challenge", ""), content_type="text/plain")
    return web.Response(status=HTTPStatus.FORBIDDEN)


async def notify(request: web.Request) -> web.Response:
    """A notification: checked, then handled to the end before the answer."""
    handlers = request.app[HANDLERS]
    secret = handlers.app.settings.whatsapp_app_secret
    body = await _read(request)
    if body is None:
        return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    key = secret.get_secret_value().encode() if secret else b""
    if not signature_ok(key, body, request.headers.get(SIGNATURE_HEADER)):
        log.warning("WhatsApp webhook request with a wrong or missing signature refused")
        return web.Response(status=HTTPStatus.UNAUTHORIZED)
    try:
        payload = json.loads(body)
    except ValueError:
        return web.Response(status=HTTPStatus.BAD_REQUEST)
    try:
        await handlers.receive(payload)
    except Exception as error:  # Meta sends it again; the dedupe makes that safe
        log.error("WhatsApp notification not handled: %s", type(error).__name__)
        return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)
    return web.Response(status=HTTPStatus.OK)


async def _read(request: web.Request) -> bytes | None:
    """The raw body (the signature is over its exact bytes); None when over the limit."""
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def add_routes(web_app: web.Application, handlers: WhatsAppHandlers, path: str = PATH) -> None:
    """Serve the webhook at `path` on an aiohttp application."""
    web_app[HANDLERS] = handlers
    web_app.router.add_get(path, verify)
    web_app.router.add_post(path, notify)
