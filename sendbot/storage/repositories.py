"""Repositories: the only code that queries the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Insert, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sendbot.storage.models import Conversation, JobLease, ProcessedUpdate, utcnow


def insert_ignoring_conflicts(session: AsyncSession, model: Any, **values: Any) -> Insert:
    """An INSERT that does nothing when the row's key exists (PostgreSQL and SQLite)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model).values(**values).on_conflict_do_nothing()


def rowcount(result: Any) -> int:
    """How many rows a statement touched."""
    return int(getattr(result, "rowcount", 0) or 0)


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

    async def lock_or_create(
        self, chat_key: str, channel: str, now: datetime | None = None
    ) -> Conversation:
        """Return a chat's conversation locked for this transaction, marked active at `now`.

        One statement, an upsert returning the row: it creates the conversation in the idle
        state if new, or marks it active and touched. On PostgreSQL the upsert locks the
        row, so other processes handling the same chat wait and a chat's messages are
        handled one at a time; SQLite serialises writers anyway.
        """
        at = now or utcnow()
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        upsert = (
            dialect.insert(Conversation)
            .values(
                chat_key=chat_key,
                channel=channel,
                state="idle",
                data={},
                active=True,
                created_at=at,
                updated_at=at,
            )
            .on_conflict_do_update(
                index_elements=[Conversation.chat_key], set_={"active": True, "updated_at": at}
            )
            .returning(Conversation)
        )
        result = await self.session.scalars(upsert, execution_options={"populate_existing": True})
        return result.one()

    async def purge_idle(self, before: datetime) -> int:
        """Delete conversations untouched since a time; return how many."""
        result = await self.session.execute(
            delete(Conversation).where(Conversation.updated_at < before)
        )
        return rowcount(result)


class UpdateRepository:
    """Updates already handled, so a redelivered update is answered once only."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, channel: str, update_id: int, now: datetime) -> bool:
        """Record an update as handled in this transaction; False if it already was.

        A concurrent claim of the same update waits for this transaction on PostgreSQL and
        then finds the row, so exactly one process answers it.
        """
        result = await self.session.execute(
            insert_ignoring_conflicts(
                self.session,
                ProcessedUpdate,
                channel=channel,
                update_id=update_id,
                processed_at=now,
            )
        )
        return rowcount(result) == 1

    async def purge(self, before: datetime) -> int:
        """Forget updates handled before a time (Telegram redelivers for a day at most)."""
        result = await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
        )
        return rowcount(result)


class LeaseRepository:
    """Leases that let one process at a time run a scheduled job."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take the lease on a job until a time, unless another holder's lease is current."""
        await self.session.execute(
            insert_ignoring_conflicts(self.session, JobLease, name=name, holder="", lease_until=now)
        )
        result = await self.session.execute(
            update(JobLease)
            .where(
                JobLease.name == name,
                (JobLease.lease_until <= now) | (JobLease.holder == holder),
            )
            .values(holder=holder, lease_until=until)
        )
        return rowcount(result) == 1
