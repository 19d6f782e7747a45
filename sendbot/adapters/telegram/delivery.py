"""Outbound messages out to the Bot API: text split under the limit, inline keyboards, files.

Telegram's errors are mapped onto the outbox's two kinds: Forbidden (the person blocked the
bot, or the chat is gone) is RecipientGone; flood control (RetryAfter, after the rate
limiter's own retries), time-outs and network errors are TemporaryFailure, retried with
backoff by the outbox.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable
from functools import lru_cache

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from sendbot.core.formatting import TELEGRAM_LIMIT, html_to_plain, split_message
from sendbot.core.messages import Button, Outbound
from sendbot.core.outbox import EDIT_OF, RecipientGone, TemporaryFailure

log = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
NOT_MODIFIED = "message is not modified"
UNREADABLE_HTML = "can't parse entities"
GONE_PHRASES = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked")


@lru_cache(maxsize=1024)
def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Button rows as an inline keyboard (None when there are no buttons).

    Most replies carry one of a few keyboards (the menu, an entry's related topics), and
    PTB's objects are immutable and costly to build, so each is built once.
    """
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in rows
        ]
    )


def parts_of(message: Outbound) -> list[str]:
    """The message's text in parts under Telegram's limit, split at paragraph breaks."""
    if not message.html.strip():
        return []
    return split_message(message.html, TELEGRAM_LIMIT)


async def deliver(
    bot: Bot, chat_id: int | str, message: Outbound, edit_message_id: int | None = None
) -> None:
    """Send one Outbound to a chat; edit the given message instead when asked and possible."""
    markup = keyboard(message.buttons)
    parts = parts_of(message)
    if message.document is not None:
        await _send_document(bot, chat_id, message, parts, markup)
        return
    if (
        edit_message_id is not None
        and len(parts) == 1
        and await _edited(bot, chat_id, edit_message_id, parts[0], markup)
    ):
        return
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await _send_text(bot, chat_id, part, markup if last else None)


async def _edited(
    bot: Bot,
    chat_id: int | str,
    message_id: int,
    html: str,
    markup: InlineKeyboardMarkup | None,
) -> bool:
    """Replace a message's text in place; False when Telegram refuses, to send it anew.

    Telegram refuses to edit a message that was deleted, is too old, or whose HTML it
    cannot read; the parent who pressed the button must get the answer all the same.
    """
    try:
        await bot.edit_message_text(
            html,
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_web_page_preview=True,
        )
    except BadRequest as error:
        reason = error.message.lower()
        if NOT_MODIFIED in reason:
            return True
        if any(phrase in reason for phrase in GONE_PHRASES):
            raise
        log.warning("Telegram refused to edit a message in place; sent the answer anew")
        return False
    return True


async def _send_text(
    bot: Bot, chat_id: int | str, html: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Send one part as HTML; if Telegram cannot read the HTML, the same words plainly.

    A formatting fault of ours must not cost the parent the answer: without this the reply
    would fail, and Telegram's copy of the update would be dropped as already handled.
    """
    try:
        await bot.send_message(
            chat_id,
            html,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_web_page_preview=True,
        )
    except BadRequest as error:
        if UNREADABLE_HTML not in error.message.lower():
            raise
        log.warning("Telegram could not read a reply's HTML; sent it as plain text")
        await bot.send_message(
            chat_id, html_to_plain(html), reply_markup=markup, disable_web_page_preview=True
        )


async def _send_document(
    bot: Bot,
    chat_id: int | str,
    message: Outbound,
    parts: list[str],
    markup: InlineKeyboardMarkup | None,
) -> None:
    """Send a file, its text as the caption when short enough, else as messages before it."""
    assert message.document is not None
    name, content = message.document
    caption = parts[0] if len(parts) == 1 and len(parts[0]) <= CAPTION_LIMIT else None
    if caption is None:
        for part in parts:
            await _send_text(bot, chat_id, part, None)
    await bot.send_document(
        chat_id,
        InputFile(content, filename=name),
        caption=caption,
        parse_mode=ParseMode.HTML if caption else None,
        reply_markup=markup,
    )


def classify(error: TelegramError) -> RecipientGone | TemporaryFailure | None:
    """The outbox's view of a Telegram error; None when it is neither (a bug to report)."""
    if isinstance(error, Forbidden):
        return RecipientGone(type(error).__name__)
    if isinstance(error, RetryAfter):
        return TemporaryFailure("flood control", retry_after=_seconds(error))
    if isinstance(error, BadRequest):
        if any(phrase in error.message.lower() for phrase in GONE_PHRASES):
            return RecipientGone("chat not found")
        return None
    if isinstance(error, NetworkError):  # includes TimedOut
        return TemporaryFailure(type(error).__name__)
    return None


def _seconds(error: RetryAfter) -> float:
    """RetryAfter's wait in seconds (an int now, a timedelta in PTB's next major version)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value if isinstance(value, int | float) else value.total_seconds()


class TelegramSender:
    """The outbox's Sender for Telegram; a chat that blocked the bot is reported as gone."""

    channel = "telegram"

    def __init__(self, bot: Bot, on_gone: Callable[[str], Awaitable[None]] | None = None) -> None:
        self.bot = bot
        self.on_gone = on_gone

    async def send(self, chat_id: str, message: Outbound) -> None:
        """Deliver one message, raising RecipientGone or TemporaryFailure on failure."""
        edit = message.meta.get(EDIT_OF)
        try:
            await deliver(self.bot, int(chat_id), message, int(edit) if edit else None)
        except TelegramError as error:
            mapped = classify(error)
            if isinstance(mapped, RecipientGone) and self.on_gone is not None:
                await self.on_gone(chat_id)
            if mapped is None:
                # Refused outright (an unexpected bad request): retried all the same, as it
                # may be Telegram's passing fault; the outbox gives up after its attempts.
                raise TemporaryFailure(f"refused: {type(error).__name__}") from None
            raise mapped from None
