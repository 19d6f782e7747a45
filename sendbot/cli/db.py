"""`sendbot db ...`: the database schema."""

from __future__ import annotations

import click

from sendbot.cli.context import opened_database, run_async


@click.group()
def db() -> None:
    """Database schema: upgrade and status."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply database migrations."""

    async def main() -> None:
        async with opened_database(ctx, migrate=False) as database:
            await database.upgrade(revision)
            click.echo(f"database at {revision}: {await database.schema_state()}")

    run_async(main())


@db.command("status")
@click.pass_context
def db_status(ctx: click.Context) -> None:
    """Say whether the schema is empty, current or behind."""

    async def main() -> str:
        async with opened_database(ctx, migrate=False) as database:
            return await database.schema_state()

    click.echo(run_async(main()))
