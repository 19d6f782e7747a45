"""WhatsApp's 24-hour rule: free-form messages only within a day of the person's last one.

The core touches a chat's conversation (its `updated_at`) on every message the person
sends and on nothing else, so that is when they last wrote: no table of its own. A small
margin keeps the bot from sending in the last minutes, when Meta's clock may disagree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sendbot.core.keyring import Keyring
from sendbot.storage.db import Database

WINDOW = timedelta(hours=24)
MARGIN = timedelta(minutes=10)


async def last_written(database: Database, chat_key: str) -> datetime | None:
    """When the person last wrote (None if never, or their data was erased)."""
    async with database.unit_of_work() as uow:
        conversation = await uow.conversations.get(chat_key)
        return conversation.updated_at if conversation is not None else None


def is_open(last: datetime | None, now: datetime) -> bool:
    """Whether a free-form message may go now."""
    return last is not None and now < last + WINDOW - MARGIN


async def window_open(
    database: Database, keyring: Keyring, channel: str, chat_id: str, now: datetime
) -> bool:
    """Whether a free-form message may go to this chat now."""
    return is_open(await last_written(database, keyring.chat_key(channel, chat_id)), now)
