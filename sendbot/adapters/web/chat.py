"""The web chat's translation: a session's text or button press in, entries for the page out."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from sendbot.adapters.web.history import History
from sendbot.adapters.web.live import Notifier
from sendbot.adapters.web.render import Entry, bot_entry, parent_entry, public
from sendbot.adapters.web.sessions import CHANNEL, Session
from sendbot.app import App
from sendbot.core.formatting import html_to_plain
from sendbot.core.messages import Audience, Inbound, InboundKind, Outbound
from sendbot.core.sanitize import clean_text
from sendbot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class TooLong(ValueError):
    """A message over the longest the bot accepts; nothing was stored."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"{length} > {limit}")
        self.length = length
        self.limit = limit


@dataclass(frozen=True)
class Export:
    """The parent's data as a file."""

    name: str
    content: bytes


class WebChat:
    """Runs a web session's messages through the core and keeps what the parent sees."""

    def __init__(self, app: App, notifier: Notifier | None = None) -> None:
        self.app = app
        self.history = History(app.database, app.services.keyring, app.settings.web_history_kept)
        self.notifier = notifier or Notifier()

    def to_inbound(self, session: Session, text: str) -> Inbound:
        """A typed line: /word is a command (the terminal's rule), anything else text."""
        stripped = text.strip()
        kind = (
            InboundKind.COMMAND
            if stripped.startswith("/") and len(stripped) > 1
            else InboundKind.TEXT
        )
        return Inbound(CHANNEL, session.handle, kind, text)

    async def send(self, session: Session, text: str) -> list[Entry]:
        """Handle a typed message; the new entries (the parent's, then the bot's)."""
        limit = self.app.settings.max_message_chars
        cleaned = clean_text(text)
        if len(cleaned) > limit:
            raise TooLong(len(cleaned), limit)
        replies = await self.app.dialogue.handle(self.to_inbound(session, text))
        mine = [parent_entry(cleaned)] if cleaned else []
        return await self._record(session, mine, replies)

    async def press(self, session: Session, data: str) -> list[Entry]:
        """Handle a pressed button (its data round-trips, like Telegram's callback data)."""
        inbound = Inbound(CHANNEL, session.handle, InboundKind.BUTTON, data)
        return await self._record(session, [], await self.app.dialogue.handle(inbound))

    async def export(self, session: Session) -> Export | None:
        """/mydata as a file, with the conversation shown here, without adding to it."""
        inbound = Inbound(CHANNEL, session.handle, InboundKind.COMMAND, "/mydata")
        for reply in await self.app.dialogue.handle(inbound):
            if reply.document is not None:
                name, content = reply.document
                data = json.loads(content)
                data["web_chat_history"] = [
                    {"from": entry["who"], "text": html_to_plain(entry["html"])}
                    for _, entry in await self.history.since(session.chat_key)
                ]
                body = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
                return Export(name, body.encode("utf-8"))
        return None

    async def entries(self, session: Session, after: int = 0) -> list[Entry]:
        """The session's stored messages newer than an id, as the page shows them."""
        return [public(e, i) for i, e in await self.history.since(session.chat_key, after)]

    async def clear(self, session: Session) -> None:
        """Clear this conversation: its visible history and its dialogue state."""
        await self.history.clear(session.chat_key)

        async def reset(uow: UnitOfWork) -> None:
            conversation = await uow.conversations.get(session.chat_key)
            if conversation is not None:
                conversation.state, conversation.data = "idle", {}

        await self.app.database.run(reset)

    async def _record(
        self, session: Session, mine: list[Entry], replies: list[Outbound]
    ) -> list[Entry]:
        """Store the turn's entries (unless the chat was just erased) and say them live."""
        shown = []
        for reply in replies:
            if reply.audience is Audience.SENDER and reply.chat_id is None:
                shown.append(bot_entry(reply))
            else:  # the core sends officers' messages through the outbox, not a reply
                log.warning("a web reply for someone else was dropped")
        entries = [*mine, *shown]
        kept = [e for e in entries if not e.get("ephemeral")]  # letters are shown, never kept
        stored = await self.history.record(session.chat_key, kept, self.app.services.clock())
        if stored is None:  # erased by this very turn: show the answer, keep nothing
            return [public(e, 0) for e in shown]
        if stored:
            self.notifier.notify(session.chat_key)
        ids = iter(i for i, _ in stored)
        return [public(e, 0 if e.get("ephemeral") else next(ids)) for e in entries]

    async def file(self, session: Session, data: str) -> Export | None:
        """A letter's file, made again from its button data; nothing is recorded."""
        inbound = Inbound(CHANNEL, session.handle, InboundKind.BUTTON, data)
        for reply in await self.app.dialogue.handle(inbound):
            if reply.document is not None and reply.audience is Audience.SENDER:
                return Export(*reply.document)
        return None
