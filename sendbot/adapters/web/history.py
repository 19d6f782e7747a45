"""A web chat's visible history, stored encrypted so a parent who comes back sees it.

Each message is one row: the chat's keyed hash, and its content (who wrote it, the HTML,
button rows, whether it carried a file) as one Fernet token under the keyring. Only the
newest `web_history_kept` messages are kept; the rest go with the conversation's idle-state
purge, when the parent clears the conversation, and when they erase their data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select

from sendbot.adapters.web.render import Entry
from sendbot.core.keyring import Keyring
from sendbot.storage.db import Database
from sendbot.storage.models import Conversation, WebMessage
from sendbot.storage.unit_of_work import UnitOfWork


class History:
    """Reads and writes web chats' visible history."""

    def __init__(self, database: Database, keyring: Keyring, kept: int) -> None:
        self.database = database
        self.keyring = keyring
        self.kept = kept

    def _open(self, row: WebMessage) -> tuple[int, Entry] | None:
        """A row's entry, or None if no key can read it."""
        text = self.keyring.reveal(row.body)
        return None if text is None else (row.id, json.loads(text))

    async def record(
        self, chat_key: str, entries: Sequence[Entry], now: datetime
    ) -> list[tuple[int, Entry]] | None:
        """Append entries to a chat that exists; None (and history emptied) if it was erased."""

        async def write(uow: UnitOfWork) -> list[tuple[int, Entry]] | None:
            exists = await uow.session.execute(
                select(Conversation.id).where(Conversation.chat_key == chat_key)
            )
            if exists.first() is None:
                await _clear(uow, chat_key)
                return None
            rows = [
                WebMessage(
                    chat_key=chat_key, body=self.keyring.encrypt(json.dumps(e)), created_at=now
                )
                for e in entries
            ]
            uow.session.add_all(rows)
            await uow.session.flush()
            await self._trim(uow, chat_key)
            return [(row.id, entry) for row, entry in zip(rows, entries, strict=True)]

        return await self.database.run(write)

    async def _trim(self, uow: UnitOfWork, chat_key: str) -> None:
        """Delete all but the newest `kept` messages of a chat."""
        cutoff = await uow.session.execute(
            select(WebMessage.id)
            .where(WebMessage.chat_key == chat_key)
            .order_by(WebMessage.id.desc())
            .offset(self.kept)
            .limit(1)
        )
        oldest_dropped = cutoff.scalar_one_or_none()
        if oldest_dropped is not None:
            await uow.session.execute(
                delete(WebMessage).where(
                    WebMessage.chat_key == chat_key, WebMessage.id <= oldest_dropped
                )
            )

    async def since(self, chat_key: str, after: int = 0) -> list[tuple[int, Entry]]:
        """A chat's messages newer than an id, oldest first."""
        async with self.database.unit_of_work() as uow:
            rows = await uow.session.execute(
                select(WebMessage)
                .where(WebMessage.chat_key == chat_key, WebMessage.id > after)
                .order_by(WebMessage.id)
                .limit(self.kept)
            )
            opened = [self._open(row) for row in rows.scalars()]
        return [item for item in opened if item is not None]

    async def clear(self, chat_key: str) -> None:
        """Delete a chat's visible history."""
        await self.database.run(lambda uow: _clear(uow, chat_key))


async def _clear(uow: UnitOfWork, chat_key: str) -> None:
    """Delete a chat's rows in the caller's transaction."""
    await uow.session.execute(delete(WebMessage).where(WebMessage.chat_key == chat_key))
