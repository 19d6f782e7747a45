"""Repositories: the only code that queries the database."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, bindparam, delete, exists, literal, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import ExecutableReturnsRows

from sendbot.storage.models import Conversation, JobLease, ProcessedUpdate, WebMessage


def insert_ignoring_conflicts(session: AsyncSession, model: Any, **values: Any) -> Insert:
    """An INSERT that does nothing when the row's key exists (PostgreSQL and SQLite)."""
    return _upsert_insert(_dialect_name(session), model).values(**values).on_conflict_do_nothing()


def insert_many_ignoring_conflicts(
    session: AsyncSession, model: Any, rows: list[dict[str, Any]]
) -> Insert:
    """A many-row INSERT that skips rows whose key exists (PostgreSQL and SQLite)."""
    return _upsert_insert(_dialect_name(session), model).values(rows).on_conflict_do_nothing()


def _dialect_name(session: AsyncSession) -> str:
    """The session's database: "postgresql" or "sqlite"."""
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


def _upsert_insert(dialect_name: str, target: Any) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT, the one with ON CONFLICT clauses."""
    return (postgresql if dialect_name == "postgresql" else sqlite).insert(target)


# The two statements of every message, built once per dialect: building a statement and
# its cache key costs more than running it.


@cache
def _update_claim(dialect_name: str) -> Insert:
    """INSERT a handled update, doing nothing if it is there already."""
    table = ProcessedUpdate.__table__
    return (
        _upsert_insert(dialect_name, table)
        .values(
            channel=bindparam("channel", type_=table.c.channel.type),
            update_id=bindparam("update_id", type_=table.c.update_id.type),
            processed_at=bindparam("processed_at", type_=table.c.processed_at.type),
        )
        .on_conflict_do_nothing()
    )


@cache
def _conversation_upsert(dialect_name: str) -> ExecutableReturnsRows:
    """INSERT a chat's conversation, or mark it active and touched; returning the row.

    A Core upsert loaded through `from_statement`: the ORM's own upsert path (bulk
    INSERT with RETURNING) costs about half as much again.
    """
    table = Conversation.__table__
    at = bindparam("at", type_=table.c.updated_at.type)
    upsert = (
        _upsert_insert(dialect_name, table)
        .values(
            chat_key=bindparam("chat_key", type_=table.c.chat_key.type),
            channel=bindparam("channel", type_=table.c.channel.type),
            state="idle",
            data={},
            active=True,
            created_at=at,
            updated_at=at,
        )
        .on_conflict_do_update(
            index_elements=[table.c.chat_key], set_={"active": True, "updated_at": at}
        )
        .returning(*table.c)
    )
    return select(Conversation).from_statement(upsert)


@cache
def _claim_and_upsert() -> ExecutableReturnsRows:
    """PostgreSQL: claim an update and, only if it was new, upsert its chat's conversation.

    The claim runs in a WITH clause ahead of the upsert, so one round trip does what
    `_update_claim` and `_conversation_upsert` do in two, taking the same locks in the same
    order; no row comes back when the update was claimed already.
    """
    table, claims = Conversation.__table__, ProcessedUpdate.__table__
    at = bindparam("at", type_=table.c.updated_at.type)
    channel = bindparam("channel", type_=table.c.channel.type)
    claim = (
        _upsert_insert("postgresql", claims)
        .values(
            channel=channel,
            update_id=bindparam("update_id", type_=claims.c.update_id.type),
            processed_at=at,
        )
        .on_conflict_do_nothing()
        .returning(claims.c.update_id)
        .cte("claim")
    )
    new_row = select(
        bindparam("chat_key", type_=table.c.chat_key.type),
        channel,
        literal("idle", table.c.state.type),
        literal({}, table.c.data.type),
        true(),
        at,
        at,
    ).where(exists(select(claim.c.update_id)))
    columns = ["chat_key", "channel", "state", "data", "active", "created_at", "updated_at"]
    upsert = (
        _upsert_insert("postgresql", table)
        .from_select(columns, new_row)
        .on_conflict_do_update(
            index_elements=[table.c.chat_key], set_={"active": True, "updated_at": at}
        )
        .returning(*table.c)
        .add_cte(claim)
    )
    return select(Conversation).from_statement(upsert)


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

    async def mark_inactive(self, chat_key: str) -> None:
        """Remember that a chat cannot be reached (it becomes active again when it writes)."""
        conversation = await self.get(chat_key)
        if conversation is not None:
            conversation.active = False

    async def get_or_create(self, chat_key: str, channel: str) -> Conversation:
        """Return a chat's conversation, creating it in the idle state."""
        conversation = await self.get(chat_key)
        if conversation is None:
            conversation = Conversation(chat_key=chat_key, channel=channel, state="idle", data={})
            self.session.add(conversation)
            await self.session.flush()
        return conversation

    async def lock_or_create(self, chat_key: str, channel: str, now: datetime) -> Conversation:
        """Return a chat's conversation locked for this transaction, marked active at `now`.

        One statement, an upsert returning the row: it creates the conversation in the idle
        state if new, or marks it active and touched. On PostgreSQL the upsert locks the
        row, so other processes handling the same chat wait and a chat's messages are
        handled one at a time; SQLite serialises writers anyway.
        """
        values = {"chat_key": chat_key, "channel": channel, "at": now}
        result = await self.session.execute(
            _conversation_upsert(_dialect_name(self.session)),
            values,
            execution_options={"populate_existing": True},
        )
        conversation: Conversation = result.scalar_one()
        return conversation

    async def claim_and_lock(
        self, channel: str, update_id: int, chat_key: str, now: datetime
    ) -> Conversation | None:
        """Record an update as handled and lock its chat's conversation (see lock_or_create).

        None when the update was handled already. PostgreSQL does both in one statement;
        SQLite, which has no INSERT in a WITH clause, runs the claim and the upsert in turn.
        """
        if _dialect_name(self.session) != "postgresql":
            if not await UpdateRepository(self.session).claim(channel, update_id, now):
                return None
            return await self.lock_or_create(chat_key, channel, now)
        values = {"channel": channel, "update_id": update_id, "chat_key": chat_key, "at": now}
        result = await self.session.execute(
            _claim_and_upsert(), values, execution_options={"populate_existing": True}
        )
        conversation: Conversation | None = result.scalar_one_or_none()
        return conversation

    async def purge_idle(self, before: datetime) -> int:
        """Delete conversations untouched since a time, and web history left without one."""
        result = await self.session.execute(
            delete(Conversation).where(Conversation.updated_at < before)
        )
        await self.session.execute(
            delete(WebMessage).where(WebMessage.chat_key.not_in(select(Conversation.chat_key)))
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
            _update_claim(_dialect_name(self.session)),
            {"channel": channel, "update_id": update_id, "processed_at": now},
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
