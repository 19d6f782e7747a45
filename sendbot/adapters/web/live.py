"""Officers' replies to web parents: the outbox delivers them into the history, pushed live.

The outbox job, in whichever process runs it, delivers a "web" message by writing it to
the chat's stored history; an event stream in the same process is woken at once, one in
another process finds it at its next look at the database (every `POLL_S`), and a parent
who has left sees it when they come back.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from sendbot.adapters.web.history import History
from sendbot.adapters.web.render import bot_entry
from sendbot.adapters.web.sessions import CHANNEL
from sendbot.core.keyring import Keyring
from sendbot.core.messages import Outbound
from sendbot.core.outbox import RecipientGone

log = logging.getLogger(__name__)

POLL_S = 2.0


class Notifier:
    """Wakes this process's event streams when a chat's history grows."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = defaultdict(set)

    def notify(self, chat_key: str) -> None:
        """Wake every stream of a chat."""
        for event in self._waiting.get(chat_key, ()):
            event.set()

    async def wait(self, chat_key: str, seconds: float) -> None:
        """Return when the chat's history grows here, or after `seconds`."""
        event = asyncio.Event()
        self._waiting[chat_key].add(event)
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            pass
        finally:
            self._waiting[chat_key].discard(event)
            if not self._waiting[chat_key]:
                del self._waiting[chat_key]


class WebSender:
    """The outbox's Sender for web chats: a message joins the chat's history."""

    channel = CHANNEL

    def __init__(
        self,
        history: History,
        keyring: Keyring,
        notifier: Notifier,
        clock: Callable[[], datetime],
    ) -> None:
        self.history = history
        self.keyring = keyring
        self.notifier = notifier
        self.clock = clock

    async def send(self, chat_id: str, message: Outbound) -> None:
        """Store the message in the chat's history; RecipientGone if the chat was erased."""
        chat_key = self.keyring.chat_key(CHANNEL, chat_id)
        stored = await self.history.record(chat_key, [bot_entry(message)], self.clock())
        if stored is None:
            raise RecipientGone("web chat gone")
        self.notifier.notify(chat_key)
