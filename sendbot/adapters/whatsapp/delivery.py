"""Outbound messages out to the Cloud API, and the outbox's Sender with the 24-hour rule.

Cloud API errors map onto the outbox's kinds: an undeliverable recipient is RecipientGone;
rate limits (throughput 130429, pair rate 131056, spam 131048), Meta's own trouble and the
network are TemporaryFailure; 131047 (more than 24 hours since the person wrote) holds the
message until they write, as the window check before each send does. A held officer's
reply or case alert is announced by a template named in settings when there is one (once
until the parent writes), so the officer's view says "notified" rather than "waiting".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sendbot.adapters.whatsapp.cloud import CloudAPI, CloudError
from sendbot.adapters.whatsapp.render import Say, document, render, template
from sendbot.adapters.whatsapp.translate import CHANNEL
from sendbot.adapters.whatsapp.window import window_open
from sendbot.config import Settings
from sendbot.core.keyring import Keyring
from sendbot.core.messages import Outbound
from sendbot.core.outbox import KIND, Held, RecipientGone, TemporaryFailure, notice_waiting
from sendbot.storage.db import Database

log = logging.getLogger(__name__)

RE_ENGAGEMENT = 131047  # more than 24 hours since the recipient last wrote
GONE_CODES = {131026, 131021, 131030}  # undeliverable; is the sender; not an allowed test number
TEMPORARY_CODES = {
    4, 80007, 130429, 131056, 131048, 131049, 131000, 131016, 133016, 368, 131031,
}  # fmt: skip
CONFIGURATION_CODES = {0, 3, 10, 190, 133010}  # token, permissions, number not registered
MIME_TYPES = {".json": "application/json", ".txt": "text/plain", ".pdf": "application/pdf"}


def classify(error: CloudError) -> RecipientGone | TemporaryFailure:
    """The outbox's view of a Cloud API error."""
    code = error.code
    if code in GONE_CODES:
        return RecipientGone(f"code {code}")
    if error.status == 0 or error.status >= 500 or error.status == 429 or code in TEMPORARY_CODES:
        return TemporaryFailure(f"code {code}", retry_after=error.retry_after)
    if code in CONFIGURATION_CODES or (code is not None and 200 <= code <= 299):
        log.error("the Cloud API refused the bot's credentials (code %s): check the settings", code)
        return TemporaryFailure(f"configuration: code {code}")
    # Refused outright (a bad request): the outbox gives up after its attempts.
    return TemporaryFailure(f"refused: code {code}")


async def deliver(api: CloudAPI, to: str, message: Outbound, say: Say) -> str | None:
    """Send one Outbound: its text and choices, then its file if any; the message id Meta
    gave the first part (what a later failed status names), if any."""
    ids = [await api.send(to, payload) for payload in render(message, say)]
    if message.document is not None:
        name, content = message.document
        mime = MIME_TYPES.get(name[name.rfind(".") :].lower(), "application/octet-stream")
        media_id = await api.upload(name, content, mime)
        ids.append(await api.send(to, document(media_id, name)))
    return next((found for found in ids if found), None)


def template_for(settings: Settings, kind: str) -> str | None:
    """The notice template for an outbox message's kind (None: it waits silently).

    A case alert has its own; anything else a person sent (an officer's reply, a ticket's
    news) the reply template; the bot's own replies kept for a retry wait silently.
    """
    if kind.startswith("case-"):
        return settings.whatsapp_template_alert
    if kind == "reply":
        return None
    return settings.whatsapp_template_reply


class WhatsAppSender:
    """The outbox's Sender for WhatsApp: within 24 hours free-form, else held (and noticed).

    A turn's own replies go through one made with `check_window=False`: the parent has
    just written, so the window is open (even when what they wrote erased their record).
    """

    channel = CHANNEL

    def __init__(
        self,
        api: CloudAPI,
        database: Database,
        keyring: Keyring,
        settings: Settings,
        say: Say,
        clock: Callable[[], datetime],
        on_gone: Callable[[str], Awaitable[None]] | None = None,
        *,
        check_window: bool = True,
    ) -> None:
        self.api = api
        self.check_window = check_window
        self.database = database
        self.keyring = keyring
        self.settings = settings
        self.say = say
        self.clock = clock
        self.on_gone = on_gone

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        """Deliver one message, or raise Held, RecipientGone or TemporaryFailure; the id
        Meta gave it."""
        kind = message.meta.get(KIND, "")
        now = self.clock()
        if self.check_window and not await window_open(
            self.database, self.keyring, CHANNEL, chat_id, now
        ):
            await self._hold(chat_id, kind)
        try:
            return await deliver(self.api, chat_id, message, self.say)
        except CloudError as error:
            if error.code == RE_ENGAGEMENT:
                await self._hold(chat_id, kind)
            mapped = classify(error)
            if isinstance(mapped, RecipientGone) and self.on_gone is not None:
                await self.on_gone(chat_id)
            raise mapped from None

    async def _hold(self, chat_id: str, kind: str) -> None:
        """Keep the message until the person writes, telling them once if a template is set."""
        name = template_for(self.settings, kind)
        if name is None:
            raise Held("24-hour window closed")
        hold_key = self.keyring.chat_key(CHANNEL, chat_id)
        async with self.database.unit_of_work() as uow:
            told = await notice_waiting(uow, CHANNEL, hold_key)
        if not told:
            try:
                language = self.settings.whatsapp_template_language
                await self.api.send(chat_id, template(name, language))
            except CloudError as error:
                mapped = classify(error)
                if error.status == 0 or error.status >= 500 or error.status == 429:
                    raise mapped from None  # try the notice again later
                log.warning("notice template refused (code %s); the message waits", error.code)
                raise Held("24-hour window closed; notice refused") from None
        raise Held("24-hour window closed; parent notified", notified=True)
