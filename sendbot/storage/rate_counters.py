"""A `limits` storage kept in the database, so every process counts the same hits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from limits.aio.storage import Storage
from sqlalchemy import Table, case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from sendbot.clock import Clock
from sendbot.storage.db import Database
from sendbot.storage.models import RateCounter, UTCDateTime
from sendbot.storage.unit_of_work import UnitOfWork

TABLE = cast(Table, RateCounter.__table__)


class DatabaseStorage(Storage):
    """Fixed-window counters in `rate_counters`, one atomic upsert per hit.

    `limits` does the rate limiting (parsing limits, windows, the strategy); this class only
    keeps its counts where all processes see them. Keys are stored as keyed hashes.
    """

    STORAGE_SCHEME = None

    def __init__(self, database: Database, clock: Clock, hash_key: Callable[[str], str]) -> None:
        super().__init__()
        self._database = database
        self._clock = clock
        self._hash = hash_key

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        """The errors `limits` may wrap in its StorageError."""
        return SQLAlchemyError

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the key's count, starting a new window if its last one ended."""
        now = self._clock()
        until = literal(now + timedelta(seconds=expiry), UTCDateTime())
        ended = TABLE.c.expires_at <= literal(now, UTCDateTime())
        dialect = postgresql if self._database.engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(TABLE).values(
            key=self._hash(key), count=amount, expires_at=now + timedelta(seconds=expiry)
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[TABLE.c.key],
            set_={
                "count": case((ended, amount), else_=TABLE.c.count + amount),
                "expires_at": case((ended, until), else_=TABLE.c.expires_at),
            },
        ).returning(TABLE.c.count)

        async def work(uow: UnitOfWork) -> int:
            return int((await uow.session.execute(upsert)).scalar_one())

        return await self._database.run(work)

    async def _current(self, key: str) -> tuple[int, datetime] | None:
        """The key's count and window end, while its window lasts."""
        now = self._clock()
        query = select(TABLE.c.count, TABLE.c.expires_at).where(
            TABLE.c.key == self._hash(key), TABLE.c.expires_at > now
        )

        async def work(uow: UnitOfWork) -> tuple[int, datetime] | None:
            row = (await uow.session.execute(query)).first()
            return None if row is None else (int(row[0]), row[1])

        return await self._database.run(work)

    async def get(self, key: str) -> int:
        """The key's count in its current window (0 when none)."""
        current = await self._current(key)
        return 0 if current is None else current[0]

    async def get_expiry(self, key: str) -> float:
        """When the key's window ends, as a POSIX time (now when it has none)."""
        current = await self._current(key)
        return (self._clock() if current is None else current[1]).timestamp()

    async def check(self) -> bool:
        """Whether the database answers."""
        try:
            await self._database.run(lambda uow: uow.session.execute(select(1)))
        except SQLAlchemyError:
            return False
        return True

    async def reset(self) -> int | None:
        """Forget every count; the number of counters removed."""
        return await self._delete(None)

    async def clear(self, key: str) -> None:
        """Forget one key's count."""
        await self._delete(self._hash(key))

    async def purge_ended(self, now: datetime) -> int:
        """Remove counters whose window ended by `now`; how many went."""
        return await purge_ended_counters(self._database, now)

    async def _delete(self, hashed: str | None) -> int:
        """Delete one hashed key's counter, or all of them."""
        statement = delete(TABLE) if hashed is None else delete(TABLE).where(TABLE.c.key == hashed)

        async def work(uow: UnitOfWork) -> int:
            return int((await uow.session.execute(statement)).rowcount or 0)  # type: ignore[attr-defined]

        return await self._database.run(work)


async def purge_ended_counters(database: Database, now: datetime) -> int:
    """Remove every counter whose window ended by `now` (the retention job runs this)."""

    async def work(uow: UnitOfWork) -> int:
        result = await uow.session.execute(delete(TABLE).where(TABLE.c.expires_at <= now))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    return await database.run(work)
