"""Webhook messages -> Inbound -> the core's dialogue -> Outbound -> the Cloud API.

Each message is handled to the end before the next (one POST may carry several, oldest
first). When a parent writes, what was held for them under the 24-hour rule is released
and delivered before the answer to what they wrote. A reply the Cloud API cannot take now
is saved to the outbox, with the chat's later replies, so they arrive in order. A status
saying a sent message failed marks it undelivered (statuses.py).
"""

from __future__ import annotations

import logging
from typing import Any

from sendbot.adapters.whatsapp.cloud import CloudAPI, CloudError
from sendbot.adapters.whatsapp.delivery import WhatsAppSender, classify, deliver
from sendbot.adapters.whatsapp.statuses import record_status
from sendbot.adapters.whatsapp.translate import (
    CHANNEL,
    messages_of,
    statuses_of,
    to_received,
)
from sendbot.app import App
from sendbot.core.messages import Audience, Inbound, Outbound
from sendbot.core.outbox import RecipientGone, deliver_due, release_held
from sendbot.core.replies import OUTBOX_ID, send_kept
from sendbot.core.replies import keep as keep_replies
from sendbot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class WhatsAppHandlers:
    """Handles webhook bodies for one sendbot App and one business number."""

    def __init__(self, app: App, api: CloudAPI) -> None:
        self.app = app
        self.api = api
        self.sender = self._sender(check_window=True)  # for the outbox job
        self.replying = self._sender(check_window=False)  # for a turn's own replies

    def _sender(self, check_window: bool) -> WhatsAppSender:
        """The outbox's Sender for this number."""
        app = self.app
        return WhatsAppSender(
            self.api,
            app.database,
            app.services.keyring,
            app.settings,
            app.services.texts.get,
            lambda: app.services.clock(),
            on_gone=self.mark_inactive,
            check_window=check_window,
        )

    async def receive(self, payload: Any) -> int:
        """Handle every message in a webhook body; how many reached the core."""
        keyring = self.app.services.keyring
        handled = 0
        for message in messages_of(payload, self.app.settings.whatsapp_phone_number_id):
            received = to_received(message, keyring)
            if received is None:
                continue
            await self.turn(received.inbound)
            handled += 1
        for status in statuses_of(payload):
            await record_status(self.app.database, keyring, status)
        return handled

    async def turn(self, inbound: Inbound) -> None:
        """One message through the dialogue: held messages first, then its replies."""

        async def keep(uow: UnitOfWork, replies: list[Outbound]) -> list[Outbound]:
            return await self.keep(uow, inbound, replies)

        replies = await self.app.dialogue.handle(inbound, keep=keep)
        await self.release(inbound.chat_id)
        await self.dispatch(inbound, replies)

    async def release(self, chat_id: str) -> int:
        """Deliver what waited for this parent under the 24-hour rule; how many went."""
        services = self.app.services
        hold_key = services.keyring.chat_key(CHANNEL, chat_id)
        now = services.clock()

        async def free(uow: UnitOfWork) -> list[int]:
            return await release_held(uow, CHANNEL, hold_key, now)

        ids = await self.app.database.run(free)
        if not ids:
            return 0
        report = await deliver_due(
            self.app.database, services.keyring, self.sender, now, limit=len(ids), only=ids
        )
        return report.sent

    async def keep(
        self, uow: UnitOfWork, inbound: Inbound, replies: list[Outbound]
    ) -> list[Outbound]:
        """Save a turn's replies to the outbox in its own transaction (core/replies.py)."""
        services = self.app.services
        return await keep_replies(
            uow,
            services.keyring,
            CHANNEL,
            inbound.update_id,
            replies,
            lambda reply: _to_sender(reply, inbound),
            services.clock(),
        )

    async def dispatch(self, inbound: Inbound, replies: list[Outbound]) -> None:
        """Send the turn's replies: those kept through the outbox, any other (an apology,
        a letter) once, directly; what cannot go now is left to the outbox job, in order."""
        kept = [reply for reply in replies if OUTBOX_ID in reply.meta]
        if kept:
            await send_kept(self.app.database, self.replying, kept, self.app.services.clock())
        for reply in replies:
            if OUTBOX_ID in reply.meta:
                continue
            if _to_sender(reply, inbound) is None:
                log.warning("a WhatsApp reply for someone else was dropped")
                continue
            try:
                await deliver(self.api, inbound.chat_id, reply, self.app.services.texts.get)
            except CloudError as error:
                if isinstance(classify(error), RecipientGone):
                    await self.mark_inactive(inbound.chat_id)
                log.warning("a reply that is not kept could not be sent (code %s)", error.code)

    async def mark_inactive(self, chat_id: str) -> None:
        """Remember that a number cannot be reached (it becomes active again when it writes)."""
        chat_key = self.app.services.keyring.chat_key(CHANNEL, chat_id)

        async def mark(uow: UnitOfWork) -> None:
            await uow.conversations.mark_inactive(chat_key)

        await self.app.database.run(mark)
        log.info("a WhatsApp number cannot be reached; marked inactive")


def _to_sender(reply: Outbound, inbound: Inbound) -> str | None:
    """Where a reply goes: back to the parent who wrote; WhatsApp serves no one else."""
    if reply.audience is not Audience.SENDER or reply.chat_id is not None:
        return None
    return inbound.chat_id
