"""Telegram updates in, Inbound messages out: who may talk to the bot, and what they sent."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Chat, Message, MessageEntity, Update

from sendbot.core.messages import Inbound, InboundKind

CHANNEL = "telegram"


@dataclass(frozen=True)
class Audience:
    """Which chats the bot serves: private chats, the officers' group, and groups' commands.

    In a group other than the officers', a command or text addressed to the bot is passed
    on (the core answers it with one line pointing to a private chat); buttons there are
    not, as the bot shows none in such groups.
    """

    officers_chat_id: int | None = None
    bot_username: str | None = None

    def serves(self, chat: Chat) -> bool:
        """Private chats and the officers' group, for everything."""
        if chat.type == Chat.PRIVATE:
            return True
        return self.officers_chat_id is not None and chat.id == self.officers_chat_id

    def hears(self, chat: Chat) -> bool:
        """Chats whose messages (not buttons) reach the core: these, and any group."""
        return self.serves(chat) or chat.type in (Chat.GROUP, Chat.SUPERGROUP)


def to_inbound(update: Update, audience: Audience) -> Inbound | None:
    """Translate an update into an Inbound message, or None if the bot should ignore it."""
    if update.callback_query is not None:
        return _from_button(update, audience)
    message = update.message
    if message is None or not audience.hears(message.chat):
        return None
    private = message.chat.type == Chat.PRIVATE
    user = message.from_user
    replied = message.reply_to_message

    def inbound(kind: InboundKind, text: str = "") -> Inbound:
        return Inbound(
            channel=CHANNEL,
            chat_id=str(message.chat.id),
            kind=kind,
            text=text,
            private=private,
            message_id=str(message.message_id),
            update_id=update.update_id,
            user_id=str(user.id) if user is not None and not private else None,
            reply_to=(replied.text or replied.caption) if replied is not None else None,
        )

    if message.text is None:
        # Photos, voice notes, stickers, files: a parent is told kindly; a group's own
        # chatter and notices (members joining...) are not the bot's business.
        return inbound(InboundKind.UNSUPPORTED) if private else None
    if _is_command(message):
        if not _addressed_to_us(message.text, audience.bot_username):
            return None
        return inbound(InboundKind.COMMAND, message.text)
    if not private and not _spoken_to(message, audience.bot_username):
        return None  # a group's own chatter (with Telegram's privacy mode off)
    return inbound(InboundKind.TEXT, message.text)


def _from_button(update: Update, audience: Audience) -> Inbound | None:
    """A pressed inline button; None for buttons without data or in chats not served."""
    query = update.callback_query
    if query is None or query.message is None or not query.data:
        return None
    chat = query.message.chat
    if not audience.serves(chat):
        return None
    return Inbound(
        channel=CHANNEL,
        chat_id=str(chat.id),
        kind=InboundKind.BUTTON,
        text=query.data,
        private=chat.type == Chat.PRIVATE,
        message_id=str(query.message.message_id),
        update_id=update.update_id,
        user_id=str(query.from_user.id) if chat.type != Chat.PRIVATE else None,
    )


def _is_command(message: Message) -> bool:
    """Whether the message opens with a bot command."""
    text = message.text or ""
    entities = message.entities or ()
    if any(e.type == MessageEntity.BOT_COMMAND and e.offset == 0 for e in entities):
        return True
    stripped = text.strip()  # the terminal's rule, so both adapters agree
    return stripped.startswith("/") and len(stripped) > 1


def _spoken_to(message: Message, bot_username: str | None) -> bool:
    """In a group: whether text replies to one of the bot's messages or mentions the bot."""
    if bot_username is None:
        return False
    replied = message.reply_to_message
    author = replied.from_user if replied is not None else None
    if author is not None and (author.username or "").lower() == bot_username.lower():
        return True
    return f"@{bot_username.lower()}" in (message.text or "").lower()


def _addressed_to_us(text: str, bot_username: str | None) -> bool:
    """A '/cmd@name' command is ours only when name is this bot's username."""
    word = text.split(maxsplit=1)[0]
    if "@" not in word or bot_username is None:
        return True
    return word.split("@", 1)[1].lower() == bot_username.lower()
