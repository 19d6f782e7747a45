"""The handlers: Update -> Inbound -> the core's dialogue -> Outbound -> the Bot API.

A turn's replies are saved to the outbox in the turn's own transaction, then sent
(core/replies.py): a reply Telegram refuses for now is retried by the outbox, never lost
with the update already recorded as handled. Replies go to the sender's chat; an Outbound
for the officers goes to the officers' group and one naming a chat_id (a Telegram id, or a
chat_ref encrypted by the keyring as stored in the database) goes to that chat. An Outbound
whose meta has "edit" set, answering a button press, replaces the message that held it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import suppress
from dataclasses import replace

from telegram import Bot, ChatMemberUpdated, Update
from telegram.constants import ChatAction, ChatMemberStatus, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from sendbot.adapters.telegram.delivery import TelegramSender, deliver
from sendbot.adapters.telegram.translate import CHANNEL, Audience, to_inbound
from sendbot.app import App
from sendbot.core.messages import Audience as Recipient
from sendbot.core.messages import Inbound, InboundKind, Outbound
from sendbot.core.outbox import EDIT_OF
from sendbot.core.replies import OUTBOX_ID, send_kept
from sendbot.core.replies import keep as keep_replies
from sendbot.storage.faults import DatabaseUnreachable
from sendbot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

EDIT = "edit"
# Handling that takes longer than this shows "typing" (Telegram shows it for 5 s or until
# the reply). Telegram advises the action only when a reply will take a noticeable time;
# an answer within a second needs no sign of life.
TYPING_AFTER_S = 1.0
_NUMERIC_ID = re.compile(r"-?\d+")


class TelegramHandlers:
    """The bot's handlers, bound to one sendbot App."""

    def __init__(
        self, app: App, audience: Audience, typing_after_s: float = TYPING_AFTER_S
    ) -> None:
        self.app = app
        self.audience = audience
        self.typing_after_s = typing_after_s
        # True once a webhook serves the updates: Telegram sends an update again if its
        # POST is answered 500, so a message that met an unreachable database waits for it.
        self.sent_again = False

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle any update: translate it, run the dialogue, send the replies."""
        if update.my_chat_member is not None:
            await self._on_membership(update.my_chat_member)
            return
        if update.callback_query is not None:
            with suppress(TelegramError):  # a very old query cannot be answered; no matter
                await update.callback_query.answer()
        if self.audience.bot_username is None:
            self.audience = replace(self.audience, bot_username=context.bot.username)
        inbound = to_inbound(update, self.audience)
        if inbound is None:
            return
        replies = await self._handle_showing_typing(context.bot, inbound)
        await self.dispatch(context.bot, inbound, replies)

    async def _handle_showing_typing(self, bot: Bot, inbound: Inbound) -> list[Outbound]:
        """Run the dialogue, showing "typing" only if it takes longer than a moment.

        Most answers come in a few milliseconds, and a "typing" action before them would
        cost a Bot API call for nothing. When handling is slow (a busy database, a long
        search) the action goes out after `TYPING_AFTER_S`; once started it is awaited
        before any reply is sent, so it never shows after one. Until then it is only a
        timer, not a task, so a quick answer costs next to nothing.
        """
        typing: list[asyncio.Task[None]] = []

        def start_typing() -> None:
            typing.append(asyncio.create_task(self._show_typing(bot, inbound.chat_id)))

        timer = asyncio.get_running_loop().call_later(self.typing_after_s, start_typing)
        try:
            return await self.app.dialogue.handle(
                inbound,
                keep=lambda uow, replies: self.keep(uow, inbound, replies),
                sent_again=self.sent_again,
            )
        finally:
            timer.cancel()
            if typing:
                await asyncio.wait(typing)

    async def _show_typing(self, bot: Bot, chat_id: str) -> None:
        """The chat's "typing" action; a failure to show it does not matter."""
        with suppress(TelegramError):
            await bot.send_chat_action(int(chat_id), ChatAction.TYPING)

    async def dispatch(self, bot: Bot, inbound: Inbound, replies: list[Outbound]) -> None:
        """Send the turn's replies: those kept in the outbox through it, any other directly.

        Only the apology for a turn that failed (and so kept nothing) is not in the outbox.
        """
        kept = [reply for reply in replies if OUTBOX_ID in reply.meta]
        if kept:
            sender = TelegramSender(bot, on_gone=self.mark_inactive)
            await send_kept(self.app.database, sender, kept, self.app.services.clock())
        for reply in replies:
            if OUTBOX_ID not in reply.meta:
                await self._send_unkept(bot, inbound, reply)

    async def keep(
        self, uow: UnitOfWork, inbound: Inbound, replies: list[Outbound]
    ) -> list[Outbound]:
        """Save a turn's replies to the outbox in its transaction, an edit marked as such."""
        pressed = inbound.kind is InboundKind.BUTTON and inbound.message_id is not None

        def as_kept(reply: Outbound) -> Outbound:
            here = self.target_of(reply, inbound) == inbound.chat_id
            if pressed and reply.meta.get(EDIT) and here:
                return replace(reply, meta={**reply.meta, EDIT_OF: str(inbound.message_id)})
            return reply

        services = self.app.services
        return await keep_replies(
            uow,
            services.keyring,
            CHANNEL,
            inbound.update_id,
            [as_kept(reply) for reply in replies],
            lambda reply: self.target_of(reply, inbound),
            services.clock(),
        )

    async def _send_unkept(self, bot: Bot, inbound: Inbound, reply: Outbound) -> None:
        """Send a reply that is in no outbox (an apology): once, a failure only logged."""
        target = self.target_of(reply, inbound)
        if target is None:
            return
        try:
            await deliver(bot, int(target), reply)
        except TelegramError as error:
            log.warning("an apology could not be sent: %s", type(error).__name__)

    def target_of(self, reply: Outbound, inbound: Inbound) -> str | None:
        """The Telegram chat id a reply goes to, or None when it has nowhere to go."""
        if reply.chat_id:
            if _NUMERIC_ID.fullmatch(reply.chat_id):
                return reply.chat_id
            try:
                return self.app.services.keyring.decrypt(reply.chat_id)
            except ValueError:
                log.warning("reply dropped: its chat reference cannot be read")
                return None
        if reply.audience is Recipient.OFFICERS:
            officers = self.audience.officers_chat_id
            if officers is None:
                log.warning("reply for officers dropped: SENDBOT_OFFICERS_CHAT_ID is not set")
                return None
            return str(officers)
        if reply.audience is Recipient.CHAT:
            log.warning("reply dropped: it names no chat")
            return None
        return inbound.chat_id

    async def mark_inactive(self, chat_id: str) -> None:
        """Remember that a chat blocked the bot (it becomes active again when it writes)."""
        chat_key = self.app.services.keyring.chat_key(CHANNEL, chat_id)

        async def mark(uow: UnitOfWork) -> None:
            await uow.conversations.mark_inactive(chat_key)

        await self.app.database.run(mark)
        log.info("a chat blocked the bot; marked inactive")

    async def _on_membership(self, change: ChatMemberUpdated) -> None:
        """A parent who blocks the bot is marked inactive at once."""
        if change.chat.type != ChatType.PRIVATE:
            return
        if change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            await self.mark_inactive(str(change.chat.id))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the error's kind only (never text or tokens) and tell the parent, if any."""
        error = context.error
        kind = type(error).__name__ if error is not None else "unknown"
        if not isinstance(update, Update):
            log.warning("bot error outside an update: %s", kind)
            return
        log.error("update %s failed: %s", update.update_id, kind)
        if isinstance(error, DatabaseUnreachable):
            return  # Telegram sends it again; the parent is answered then
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return
        with suppress(TelegramError):
            text = self.app.services.texts.get("error")
            await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)
