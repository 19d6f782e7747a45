"""Repositories: the only code that queries the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sendbot.storage.models import Conversation


class ConversationRepository:
    """Dialogue state per chat."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, chat_key: str) -> Conversation | None:
        """Return a chat's conversation, if any."""
        result = await self.session.execute(
            select(Conversation).where(Conversation.chat_key == chat_key)
        )
        return result.scalar_one_or_none()

    async def get_or_create(self, chat_key: str, channel: str) -> Conversation:
        """Return a chat's conversation, creating it in the idle state."""
        conversation = await self.get(chat_key)
        if conversation is None:
            conversation = Conversation(chat_key=chat_key, channel=channel, state="idle", data={})
            self.session.add(conversation)
            await self.session.flush()
        return conversation

    async def purge_idle(self, before: datetime) -> int:
        """Delete conversations untouched since a time; return how many."""
        result = await self.session.execute(
            delete(Conversation).where(Conversation.updated_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
