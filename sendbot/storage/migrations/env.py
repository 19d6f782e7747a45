"""Alembic environment: runs on the connection sendbot hands it, or makes its own."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from sendbot.storage.models import Base

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    """Run migrations on an open synchronous connection."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    """Connect using the configured settings (the `alembic` command line)."""
    from sendbot.config import load_settings
    from sendbot.storage.db import create_engine

    engine = create_engine(load_settings().database_url)
    async with engine.begin() as connection:
        await connection.run_sync(run_on)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline SQL generation is not supported; run `sendbot db upgrade`.")

connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    asyncio.run(run_standalone())
