"""What every verb shares: the settings, the one clock, the one database opener, errors."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import click

from sendbot.clock import Clock, system_clock
from sendbot.config import Settings
from sendbot.core.keyring import KeyMissing, Keyring
from sendbot.kb.loader import KnowledgeBase, KnowledgeError
from sendbot.storage.db import Database, DatabaseUnavailable

T = TypeVar("T")

CLOCK_KEY = "sendbot.clock"


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine, turning expected failures into a clear message and exit code 2."""
    try:
        return asyncio.run(coroutine)
    except (DatabaseUnavailable, KeyMissing, KnowledgeError) as error:
        click.echo(f"sendbot: {error}", err=True)
        raise SystemExit(2) from None


def install_clock(ctx: click.Context, clock: object) -> None:
    """Make `clock` the invocation's one clock if it is one, else the system's."""
    ctx.meta[CLOCK_KEY] = clock if callable(clock) else system_clock


def settings_from(ctx: click.Context) -> Settings:
    """The settings built once for this invocation."""
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def clock_from(ctx: click.Context) -> Clock:
    """The invocation's one clock: the system's, or one a caller handed in as `obj`."""
    clock = ctx.meta.get(CLOCK_KEY, system_clock)
    assert callable(clock)
    return clock


def actor() -> str:
    """Who ran the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"


@asynccontextmanager
async def opened_database(
    ctx: click.Context, keyring: Keyring | None = None, *, migrate: bool = True
) -> AsyncIterator[Database]:
    """The invocation's database on its clock, disposed of on exit.

    With a keyring, the database must hold that keyring's keys (`app.open_database`);
    `migrate` creates the schema of an empty database; without it the schema is left as
    found (for `db upgrade`, `db status` and read-only reports).
    """
    settings = settings_from(ctx)
    clock = clock_from(ctx)
    if keyring is not None:
        from sendbot.app import open_database

        database = await open_database(settings, keyring, clock)
    else:
        database = Database(settings.database_url, clock=clock)
    try:
        if keyring is None and migrate:
            await database.ensure_ready()
        yield database
    finally:
        await database.dispose()


def knowledge_from(ctx: click.Context) -> KnowledgeBase:
    """The configured council's knowledge base, or exit 2 with the reason."""
    from sendbot.kb.loader import load_knowledge

    settings = settings_from(ctx)
    try:
        return load_knowledge(settings.knowledge_dir, settings.council or None)
    except KnowledgeError as error:
        click.echo(f"sendbot: {error}", err=True)
        raise SystemExit(2) from None
