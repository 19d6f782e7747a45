"""Shared fixtures: settings, a fresh database per test, a small test knowledge base."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sendbot.app import App, open_app
from sendbot.clock import FrozenClock
from sendbot.config import Settings, bundled_knowledge_dir
from sendbot.storage.db import Database

ROOT = Path(__file__).resolve().parent.parent
TEST_KB = Path(__file__).resolve().parent / "data" / "kb"
PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN_DSN = os.environ.get("SENDBOT_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PG_SKIP_REASON = "PostgreSQL is not reachable on 127.0.0.1:5432 (database 'test'); skipping"


_postgres_state: dict[str, bool] = {}


async def postgres_available() -> bool:
    """Whether the test PostgreSQL server accepts connections (checked once)."""
    if "up" not in _postgres_state:
        _postgres_state["up"] = await _probe_postgres()
    return _postgres_state["up"]


async def _probe_postgres() -> bool:
    """Try the port, then a real login."""
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            pass
    except OSError:
        return False
    import asyncpg

    try:
        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    except Exception:
        return False
    await connection.close()
    return True


async def _pg_execute(sql: str) -> None:
    """Run one statement on the admin connection."""
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    """A small test knowledge base with the real messages.yaml."""
    target = tmp_path / "knowledge"
    shutil.copytree(TEST_KB, target)
    shutil.copy(bundled_knowledge_dir() / "messages.yaml", target / "messages.yaml")
    return target


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file."""
    return f"sqlite+aiosqlite:///{tmp_path / 'sendbot.db'}"


@asynccontextmanager
async def postgres_schema_url() -> AsyncIterator[str]:
    """A fresh schema in the PostgreSQL database 'test', dropped afterwards."""
    if not await postgres_available():
        pytest.skip(PG_SKIP_REASON)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _pg_execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/test?search_path={schema}"
    finally:
        await _pg_execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL schema for one test."""
    async with postgres_schema_url() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each storage test runs on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'sendbot.db'}"
        return
    async with postgres_schema_url() as url:
        yield url


@asynccontextmanager
async def _ready(url: str) -> AsyncIterator[Database]:
    """A migrated database at `url`, its connections closed afterwards."""
    ready = Database(url)
    try:
        await ready.ensure_ready()
        yield ready
    finally:
        await ready.dispose()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database, on a SQLite file and on PostgreSQL."""
    async with _ready(database_url) as ready:
        yield ready


@pytest.fixture
async def sqlite_database(sqlite_url: str) -> AsyncIterator[Database]:
    """A migrated SQLite database, for what only SQLite does."""
    async with _ready(sqlite_url) as ready:
        yield ready


# The moment tests that freeze the clock start at: a Monday, 10:00 in the UK. Tests that
# freeze the clock freeze it for the whole flow; the others use the real clock throughout.
TEST_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def frozen_clock() -> FrozenClock:
    """The program's one clock, frozen at TEST_NOW until the test moves it."""
    return FrozenClock(TEST_NOW)


@pytest.fixture(scope="session")
def kb_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the fitted intent classifiers of the whole run (keyed by their inputs)."""
    return tmp_path_factory.mktemp("kb-cache")


@pytest.fixture
def settings(tmp_path: Path, knowledge_dir: Path, sqlite_url: str, kb_cache_dir: Path) -> Settings:
    """Settings for the test knowledge base and a fresh SQLite file."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=sqlite_url,
        knowledge_dir=knowledge_dir,
        council="testshire",
        secret_key="test-secret-key-not-for-production",  # type: ignore[arg-type]
        key_file=tmp_path / "key",
        cache_dir=kb_cache_dir,
        embedding_voter=False,
    )


@pytest.fixture
async def app(settings: Settings, frozen_clock: FrozenClock) -> AsyncIterator[App]:
    """A ready app on the test settings, its clock frozen at TEST_NOW for the whole test."""
    async with open_app(settings, clock=frozen_clock) as ready:
        yield ready


@pytest.fixture
def env_for_cli(
    tmp_path: Path, knowledge_dir: Path, sqlite_url: str, kb_cache_dir: Path
) -> Iterator[dict[str, str]]:
    """Environment variables that point a `sendbot` subprocess at test data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDBOT_")}
    env.update(
        SENDBOT_DATABASE_URL=sqlite_url,
        SENDBOT_KNOWLEDGE_DIR=str(knowledge_dir),
        SENDBOT_COUNCIL="testshire",
        SENDBOT_KEY_FILE=str(tmp_path / "key"),
        SENDBOT_CACHE_DIR=str(kb_cache_dir),
        SENDBOT_EMBEDDING_VOTER="false",
    )
    yield env


@pytest.fixture
async def real(settings: Settings, frozen_clock: FrozenClock) -> AsyncIterator[App]:
    """The app on the bundled knowledge for Bristol, with the served engine."""
    chosen = settings.model_copy(
        update={"knowledge_dir": bundled_knowledge_dir(), "council": "bristol"}
    )
    async with open_app(chosen, clock=frozen_clock) as ready:
        yield ready
