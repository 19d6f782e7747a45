"""The database: engine, schema state, migrations and units of work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import PoolResetState

from sendbot.clock import Clock, system_clock
from sendbot.storage import sqlite_trips
from sendbot.storage.models import CLOCK_OPTION
from sendbot.storage.unit_of_work import UnitOfWork, WriterTurns

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest migration's revision. Checking the schema at start reads it from here rather
# than from Alembic, which a bot process then never imports (11 MB of memory in each);
# tests/test_storage.py checks that it is Alembic's head, so a new migration updates it.
SCHEMA_HEAD = "0018_provider_ref"
SchemaState = Literal["empty", "current", "behind", "unknown"]
T = TypeVar("T")


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached or is not ready; the message says what to do."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Build an Alembic config pointing at the bundled migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on foreign keys, WAL and a busy timeout for each SQLite connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_reset(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
    """Roll back a SQLite connection going back to the pool only if it is in a transaction.

    The pool's own reset rolls back every time, even after a commit, and with aiosqlite
    each rollback is a trip to the connection's thread and back.
    """
    if state.terminate_only or not state.asyncio_safe:
        return
    if dbapi_connection.driver_connection.in_transaction:
        dbapi_connection.rollback()


def _sqlite_connect(dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
    """Open each SQLite connection with the arguments SQLAlchemy chose, on fewer trips."""
    return dialect.loaded_dbapi.connect(*cargs, async_creator_fn=sqlite_trips.connect, **cparams)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine with the settings each backend needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("pool_reset_on_return", None)  # _sqlite_reset does it
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "reset", _sqlite_reset)
        event.listen(engine.sync_engine, "do_connect", _sqlite_connect)
        return engine
    search_path = parsed.query.get("search_path")
    if search_path:
        # asyncpg takes server settings as a connect argument, not in the URL.
        parsed = parsed.difference_update_query(["search_path"])
        connect_args = dict(kwargs.pop("connect_args", {}))
        settings = dict(connect_args.get("server_settings", {}))
        settings["search_path"] = str(search_path)
        connect_args["server_settings"] = settings
        kwargs["connect_args"] = connect_args
    return create_async_engine(parsed, **kwargs)


def _describe(url: str) -> str:
    """Name a database without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """One database: hands out units of work and keeps the schema current.

    Rows are stamped (`created_at` and the like) by `clock`, the program's one clock.
    """

    def __init__(self, url: str, clock: Clock = system_clock, **engine_kwargs: Any) -> None:
        self.url = url
        self.clock = clock
        self.engine = create_engine(url, **engine_kwargs)
        stamping = self.engine.execution_options(**{CLOCK_OPTION: self._now})
        self.sessions = async_sessionmaker(stamping, expire_on_commit=False)
        self._writer_turns = WriterTurns() if self.engine.dialect.name == "sqlite" else None

    def _now(self) -> datetime:
        """The time rows are stamped with (read through `self.clock`, which may be replaced)."""
        return self.clock()

    def unit_of_work(self) -> UnitOfWork:
        """Start a unit of work: commit on success, roll back on error."""
        return UnitOfWork(self.sessions, self._writer_turns)

    async def run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run `work` in a unit of work; again, once, if its connection was found closed.

        Connections are not pinged when taken from the pool; a database restart shows
        instead as one closed connection here, and the work, which committed nothing,
        runs again on a new one (see `UnitOfWork.may_run_again`).
        """
        uow = self.unit_of_work()
        try:
            async with uow:
                return await work(uow)
        except DBAPIError as error:
            if not uow.may_run_again(error):
                raise
            log.warning("database connection was closed: running the work again on a new one")
        async with self.unit_of_work() as again:
            return await work(again)

    async def schema_state(self) -> SchemaState:
        """Say whether the schema is missing, current or behind the code."""

        def read(connection: Connection) -> SchemaState:
            tables = set(inspect(connection).get_table_names())
            if "alembic_version" not in tables:
                return "empty" if not tables else "unknown"
            versions = connection.execute(text("SELECT version_num FROM alembic_version"))
            return "current" if list(versions.scalars()) == [SCHEMA_HEAD] else "behind"

        async with self._connect() as connection:
            return await connection.run_sync(read)

    async def upgrade(self, revision: str = "head") -> None:
        """Run Alembic migrations up to a revision."""
        from alembic import command

        def run(connection: Connection) -> None:
            command.upgrade(alembic_config(connection), revision)

        async with self._connect(begin=True) as connection:
            await connection.run_sync(run)

    async def ensure_ready(self) -> None:
        """Migrate an empty database; refuse a schema that is behind or foreign."""
        state = await self.schema_state()
        if state == "empty":
            log.info("empty database: creating the schema")
            await self.upgrade()
        elif state == "behind":
            raise DatabaseUnavailable(
                "The database schema is older than this version of sendbot. "
                "Run `sendbot db upgrade` first."
            )
        elif state == "unknown":
            raise DatabaseUnavailable(
                f"The database {_describe(self.url)} holds tables that are not sendbot's. "
                "Point SENDBOT_DATABASE_URL at an empty database or a sendbot one."
            )

    def _connect(self, begin: bool = False) -> _Connecting:
        """Open a connection, turning connection failures into DatabaseUnavailable."""
        return _Connecting(self, begin)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


class _Connecting:
    """Async context manager that opens a connection with a clear error on failure."""

    def __init__(self, database: Database, begin: bool) -> None:
        self.database = database
        self.begin = begin
        self._context: Any = None

    async def __aenter__(self) -> Any:
        engine = self.database.engine
        self._context = engine.begin() if self.begin else engine.connect()
        try:
            return await asyncio.wait_for(self._context.__aenter__(), timeout=15)
        except (OperationalError, DBAPIError, OSError, TimeoutError) as error:
            raise DatabaseUnavailable(
                f"Cannot reach the database {_describe(self.database.url)}: "
                f"{type(error).__name__}. Check SENDBOT_DATABASE_URL and that the server is up."
            ) from error

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._context.__aexit__(*exc)
