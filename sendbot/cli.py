"""The one command line: `sendbot VERB`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from sendbot import (
    cli_answers,
    cli_bench,
    cli_cases,
    cli_notify,
    cli_officers,
    cli_privacy,
    cli_telegram,
    cli_web,
)
from sendbot.clock import Clock, system_clock
from sendbot.config import Settings, load_settings
from sendbot.core.keyring import KeyMissing
from sendbot.kb.loader import KnowledgeError
from sendbot.logging_setup import configure_logging
from sendbot.storage.db import Database, DatabaseUnavailable

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine, turning expected failures into a clear message and exit code 2."""
    try:
        return asyncio.run(coroutine)
    except (DatabaseUnavailable, KeyMissing, KnowledgeError) as error:
        click.echo(f"sendbot: {error}", err=True)
        raise SystemExit(2) from None


def settings_from(ctx: click.Context) -> Settings:
    """The settings built once for this invocation."""
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


CLOCK_KEY = "sendbot.clock"


def clock_from(ctx: click.Context) -> Clock:
    """The invocation's one clock: the system's, or one a caller handed in as `obj`."""
    clock = ctx.meta.get(CLOCK_KEY, system_clock)
    assert callable(clock)
    return clock


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--council", help="Council pack to use (overrides SENDBOT_COUNCIL).")
@click.option("--database-url", help="Database URL (overrides SENDBOT_DATABASE_URL).")
@click.version_option(package_name="sendbot")
@click.pass_context
def cli(ctx: click.Context, council: str | None, database_url: str | None) -> None:
    """sendbot: a SEND helpdesk for parents and council officers."""
    overrides: dict[str, object] = {}
    if council:
        overrides["council"] = council
    if database_url:
        overrides["database_url"] = database_url
    settings = load_settings(**overrides)
    configure_logging(settings.log_level if ctx.invoked_subcommand != "chat" else "WARNING")
    # A caller (a test, a replay) may hand in a clock as `obj`; otherwise the system's.
    ctx.meta[CLOCK_KEY] = ctx.obj if callable(ctx.obj) else system_clock
    ctx.obj = settings


@cli.command()
@click.pass_context
def chat(ctx: click.Context) -> None:
    """Chat with the bot in this terminal (reads one message a line when piped)."""
    from sendbot.adapters.terminal import TerminalChat
    from sendbot.app import open_app

    settings = settings_from(ctx)

    async def main() -> None:
        async with open_app(settings, allow_key_file=True, clock=clock_from(ctx)) as app:
            terminal = TerminalChat(app.dialogue)
            if sys.stdin.isatty():
                await terminal.run_interactive()
            else:
                await terminal.run_script(sys.stdin)

    run_async(main())


@cli.group()
def db() -> None:
    """Database schema: upgrade and status."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply database migrations."""
    settings = settings_from(ctx)

    async def main() -> None:
        database = Database(settings.database_url, clock=clock_from(ctx))
        try:
            await database.upgrade(revision)
            click.echo(f"database at {revision}: {await database.schema_state()}")
        finally:
            await database.dispose()

    run_async(main())


@db.command("status")
@click.pass_context
def db_status(ctx: click.Context) -> None:
    """Say whether the schema is empty, current or behind."""
    settings = settings_from(ctx)

    async def main() -> str:
        database = Database(settings.database_url, clock=clock_from(ctx))
        try:
            return await database.schema_state()
        finally:
            await database.dispose()

    click.echo(run_async(main()))


@cli.group()
def kb() -> None:
    """Knowledge base: check and list entries."""


@kb.command("check")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Date to judge review age by.")
@click.pass_context
def kb_check(ctx: click.Context, today: Any) -> None:
    """Validate every entry and pack; exit 1 on any error."""
    from sendbot.core.cases.timefmt import london_today
    from sendbot.kb.check import check_knowledge, format_table

    settings = settings_from(ctx)
    report = check_knowledge(
        settings.knowledge_dir, today.date() if today else london_today(clock_from(ctx)())
    )
    click.echo(format_table(report))
    if report.errors:
        raise SystemExit(1)


@kb.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def kb_list(ctx: click.Context, as_json: bool) -> None:
    """List every entry in force for the configured council."""
    import json

    from sendbot.kb.loader import load_knowledge

    settings = settings_from(ctx)
    try:
        knowledge = load_knowledge(settings.knowledge_dir, settings.council or None)
    except KnowledgeError as error:
        click.echo(f"sendbot: {error}", err=True)
        raise SystemExit(2) from None
    items = [
        {
            "id": entry.id,
            "title": entry.title,
            "sources": len(entry.sources),
            "reviewed": entry.reviewed.isoformat(),
        }
        for entry in sorted(knowledge.entries.values(), key=lambda e: e.id)
    ]
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    width = max((len(str(i["id"])) for i in items), default=2)
    for item in items:
        line = f"{item['id']:<{width}}  {item['reviewed']}  {item['sources']:>2}  {item['title']}"
        click.echo(line)
    click.echo(f"{len(items)} entries for {knowledge.council_name}")


@cli.group()
def audit() -> None:
    """Audit log of officer access: verify the chain, show records."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Check the hash chain; exit 1 naming the first bad row."""
    from sendbot.app import build_keyring, open_database
    from sendbot.core.audit import verify

    settings = settings_from(ctx)

    async def main() -> int:
        keyring = build_keyring(settings, allow_key_file=True, create=False)
        database = await open_database(settings, keyring, clock_from(ctx))
        try:
            async with database.unit_of_work() as uow:
                verdict = await verify(uow.session, keyring)
        finally:
            await database.dispose()
        if verdict.ok:
            click.echo(f"audit log intact: {verdict.checked} records")
            return 0
        click.echo(
            f"audit log damaged at record {verdict.bad_id}: {verdict.reason} "
            f"({verdict.checked} records verified before it)"
        )
        return 1

    raise SystemExit(run_async(main()))


@audit.command("show")
@click.option("--officer", help="Only this officer's records.")
@click.option("--ticket", help="Only records about this ticket reference.")
@click.option("--case", "case_ref", help="Only records about this case reference.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this date (UTC).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Up to this date (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.pass_context
def audit_show(
    ctx: click.Context,
    officer: str | None,
    ticket: str | None,
    case_ref: str | None,
    since: Any,
    until: Any,
    as_json: bool,
) -> None:
    """Show audit records, filtered by officer, ticket, case or date."""
    import json

    from sendbot.core.audit import search

    settings = settings_from(ctx)
    subject_type = "ticket" if ticket else "case" if case_ref else None

    async def main() -> list[dict[str, Any]]:
        database = Database(settings.database_url, clock=clock_from(ctx))
        try:
            async with database.unit_of_work() as uow:
                rows = await search(
                    uow.session,
                    actor=officer,
                    subject_type=subject_type,
                    subject_id=ticket or case_ref,
                    since=since.date() if since else None,
                    until=until.date() if until else None,
                )
        finally:
            await database.dispose()
        return [
            {
                "id": r.id,
                "at": r.at.isoformat(timespec="seconds"),
                "actor": r.actor,
                "action": r.action,
                "subject": f"{r.subject_type}:{r.subject_id}",
                "detail": r.detail,
            }
            for r in rows
        ]

    for record in run_async(main()):
        if as_json:
            click.echo(json.dumps(record))
        else:
            click.echo(
                f"{record['id']:>6}  {record['at']}  {record['actor']:<16} "
                f"{record['action']:<20} {record['subject']}"
            )


cli_answers.register(cli, kb)
cli_bench.register(cli_answers.bench)
cli_cases.register(cli)
cli_notify.register(cli)
cli_telegram.register(cli)
cli_web.register(cli)
cli_privacy.register(cli)
cli_officers.register(cli)


def main() -> None:
    """Entry point of the `sendbot` console script."""
    cli(prog_name="sendbot")
