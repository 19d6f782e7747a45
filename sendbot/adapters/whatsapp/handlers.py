"""Webhook messages -> Inbound -> the core's dialogue -> Outbound -> the Cloud API.

Each message is handled to the end before the next (one POST may carry several, oldest
first). When a parent writes, what was held for them under the 24-hour rule is released
and delivered before the answer to what they wrote. A reply the Cloud API cannot take now
is saved to the outbox, with the chat's later replies, so they arrive in order.
"""

from __future__ import annotations

import logging
from typing import Any

from sendbot.adapters.whatsapp.cloud import CloudAPI, CloudError
from sendbot.adapters.whatsapp.delivery import WhatsAppSender, classify, deliver
from sendbot.adapters.whatsapp.translate import (
    CHANNEL,
    messages_of,
    statuses_of,
    to_received,
)
from sendbot.app import App
from sendbot.core.messages import Audience, Inbound, Outbound
from sendbot.core.outbox import RecipientGone, deliver_due, enqueue, release_held
from sendbot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class WhatsAppHandlers:
    """Handles webhook bodies for one sendbot App and one business number."""

    def __init__(self, app: App, api: CloudAPI) -> None:
        self.app = app
        self.api = api
        self.sender = WhatsAppSender(
            api,
            app.database,
            app.services.keyring,
            app.settings,
            app.services.texts.get,
            lambda: app.services.clock(),
            on_gone=self.mark_inactive,
        )

    async def receive(self, payload: Any) -> int:
        """Handle every message in a webhook body; how many reached the core."""
        keyring = self.app.services.keyring
        handled = 0
        for message in messages_of(payload, self.app.settings.whatsapp_phone_number_id):
            received = to_received(message, keyring)
            if received is None:
                continue
            replies = await self.app.dialogue.handle(received.inbound)
            await self.release(received.inbound.chat_id)
            await self.dispatch(received.inbound, replies)
            handled += 1
        for status in statuses_of(payload):
            if status.get("status") == "failed":
                codes = [e.get("code") for e in status.get("errors", []) if isinstance(e, dict)]
                log.warning("WhatsApp reports a message undelivered (codes %s)", codes)
        return handled

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

    async def dispatch(self, inbound: Inbound, replies: list[Outbound]) -> None:
        """Send each reply to the parent; save it for later when the Cloud API cannot take it."""
        deferred = False
        for index, reply in enumerate(replies):
            if reply.audience is not Audience.SENDER or reply.chat_id is not None:
                log.warning("a WhatsApp reply for someone else was dropped")
                continue
            if deferred:
                await self._save_for_later(inbound, index, reply, "keeping order")
                continue
            try:
                await deliver(self.api, inbound.chat_id, reply, self.app.services.texts.get)
            except CloudError as error:
                mapped = classify(error)
                if isinstance(mapped, RecipientGone):
                    await self.mark_inactive(inbound.chat_id)
                    return
                deferred = True
                await self._save_for_later(inbound, index, reply, str(mapped))

    async def _save_for_later(
        self, inbound: Inbound, index: int, reply: Outbound, reason: str
    ) -> None:
        """Persist a reply the Cloud API could not take now; the outbox job retries it."""
        if reply.document is not None:
            log.warning("file not delivered (%s); it is not retried", reason)
            return
        keyring = self.app.services.keyring
        key = f"wa:{inbound.update_id}:{index}"
        chat_ref = keyring.encrypt(inbound.chat_id)

        async def save(uow: UnitOfWork) -> None:
            await enqueue(
                uow,
                dedupe_key=key,
                channel=CHANNEL,
                chat_ref=chat_ref,
                message=reply,
                kind="reply",
                keyring=keyring,
            )

        await self.app.database.run(save)
        log.info("reply saved to the outbox for a retry (%s)", reason)

    async def mark_inactive(self, chat_id: str) -> None:
        """Remember that a number cannot be reached (it becomes active again when it writes)."""
        chat_key = self.app.services.keyring.chat_key(CHANNEL, chat_id)

        async def mark(uow: UnitOfWork) -> None:
            conversation = await uow.conversations.get(chat_key)
            if conversation is not None:
                conversation.active = False

        await self.app.database.run(mark)
        log.info("a WhatsApp number cannot be reached; marked inactive")
