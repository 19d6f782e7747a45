"""The handlers: Update -> Inbound -> the core's dialogue -> Outbound -> the Bot API.

Replies go to the sender's chat; an Outbound for the officers goes to the officers' group
and one naming a chat_id (a Telegram id, or a chat_ref encrypted by the keyring as stored
in the database) goes to that chat. An Outbound whose meta has "edit" set, answering a
button press, replaces the message that held the button.
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

from sendbot.adapters.telegram.delivery import classify, deliver
from sendbot.adapters.telegram.translate import CHANNEL, Audience, to_inbound
from sendbot.app import App
from sendbot.core.messages import Audience as Recipient
from sendbot.core.messages import Inbound, InboundKind, Outbound
from sendbot.core.outbox import RecipientGone, enqueue
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
            return await self.app.dialogue.handle(inbound)
        finally:
            timer.cancel()
            if typing:
                await asyncio.wait(typing)

    async def _show_typing(self, bot: Bot, chat_id: str) -> None:
        """The chat's "typing" action; a failure to show it does not matter."""
        with suppress(TelegramError):
            await bot.send_chat_action(int(chat_id), ChatAction.TYPING)

    async def dispatch(self, bot: Bot, inbound: Inbound, replies: list[Outbound]) -> None:
        """Send each reply to its chat; save it to the outbox when Telegram cannot take it now.

        After one reply to a chat is saved for later, the chat's next replies are saved
        too, so the outbox delivers them in order.
        """
        gone: set[str] = set()
        deferred: set[str] = set()
        for index, reply in enumerate(replies):
            target = self.target_of(reply, inbound)
            if target is None or target in gone:
                continue
            if target in deferred:
                await self._save_for_later(inbound, index, target, reply, "keeping order")
                continue
            edit = None
            pressed = inbound.kind is InboundKind.BUTTON and target == inbound.chat_id
            if reply.meta.get(EDIT) and pressed and inbound.message_id:
                edit = int(inbound.message_id)
            try:
                await deliver(bot, int(target), reply, edit_message_id=edit)
            except TelegramError as error:
                mapped = classify(error)
                if mapped is None:
                    raise
                if isinstance(mapped, RecipientGone):
                    gone.add(target)
                    await self.mark_inactive(target)
                    continue
                deferred.add(target)
                await self._save_for_later(inbound, index, target, reply, str(mapped))

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

    async def _save_for_later(
        self, inbound: Inbound, index: int, target: str, reply: Outbound, reason: str
    ) -> None:
        """Persist a reply Telegram could not take now; the outbox job retries it."""
        if reply.document is not None:
            log.warning("file not delivered (%s); it is not retried", reason)
            return
        if reply.meta.get("ephemeral"):  # a letter: never kept, even for a retry
            log.warning("ephemeral reply not delivered (%s); it is not retried", reason)
            return
        keyring = self.app.services.keyring
        key = f"tg:{inbound.update_id}:{index}:{keyring.chat_key(CHANNEL, target)[:16]}"
        chat_ref = keyring.encrypt(target)

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
        """Remember that a chat blocked the bot (it becomes active again when it writes)."""
        chat_key = self.app.services.keyring.chat_key(CHANNEL, chat_id)

        async def mark(uow: UnitOfWork) -> None:
            conversation = await uow.conversations.get(chat_key)
            if conversation is not None:
                conversation.active = False

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
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return
        with suppress(TelegramError):
            text = self.app.services.texts.get("error")
            await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)
