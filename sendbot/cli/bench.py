"""`sendbot bench ...`: benchmarks (not tests); with no scenario, the list of them."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sendbot.cli.context import knowledge_from, run_async, settings_from

if TYPE_CHECKING:
    from sendbot.core.keyring import Keyring

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

SCENARIOS_NOTE = "Run one with `sendbot bench SCENARIO` (add --json for JSON, --help for options)."


POSTGRES_OPTION = click.option(
    "--postgres-url",
    default=DEFAULT_POSTGRES,
    show_default=True,
    help="PostgreSQL server to measure too, in a scratch schema (skipped if unreachable).",
)
JSON_LINES_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON lines instead of a table."
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def quiet(*loggers: str) -> None:
    """Keep migrations' (and the bot's) own lines out of a benchmark's table."""
    for name in ("alembic", *loggers):
        logging.getLogger(name).setLevel(logging.WARNING)


def scratch_keyring() -> Keyring:
    """A throwaway keyring: the benchmarks fill scratch databases of their own."""
    from sendbot.core.keyring import Keyring

    return Keyring([secrets.token_urlsafe(32)])


def echo_rows(rows: list[dict[str, Any]], as_json: bool, table: Callable[[Any], str]) -> None:
    """Print results as JSON lines or as the scenario's table."""
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
    else:
        click.echo(table(rows))


def list_scenarios(group: click.Group) -> str:
    """Each scenario of the group with its one-line help."""
    lines = ["Scenarios:"]
    for name in sorted(group.commands):
        command = group.commands[name]
        lines.append(f"  {name:<10} {command.get_short_help_str(limit=80)}")
    lines.append(SCENARIOS_NOTE)
    return "\n".join(lines)


@click.group("bench", invoke_without_command=True, subcommand_metavar="COMMAND [ARGS]...")
@click.pass_context
def bench(ctx: click.Context) -> None:
    """Benchmarks (not tests): speed of question answering."""
    if ctx.invoked_subcommand is None:
        click.echo(list_scenarios(bench))


@bench.command("retrieval")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--sizes",
    default="100,1000,5000,10000",
    show_default=True,
    help="Synthetic knowledge-base sizes (entries), comma-separated.",
)
@click.option("--questions", default=300, show_default=True, help="Questions timed per size.")
@click.pass_context
def bench_retrieval(ctx: click.Context, as_json: bool, sizes: str, questions: int) -> None:
    """Speed of question answering: the engine, the lexical engine alone, rapidfuzz."""
    from sendbot.bench.retrieval import format_table, run_benchmark

    kb = knowledge_from(ctx)
    counts = [int(s) for s in sizes.split(",") if s.strip()]
    results = run_benchmark(kb, counts, questions)
    if as_json:
        click.echo(json.dumps(results))
    else:
        click.echo(format_table(results))


@bench.command("cases")
@click.option("--import-rows", default=100_000, show_default=True, help="Rows in the import.")
@click.option("--cases", default=1_000_000, show_default=True, help="Cases for status lookups.")
@click.option("--lookups", default=2_000, show_default=True, help="Status lookups timed.")
@POSTGRES_OPTION
@JSON_LINES_OPTION
@click.pass_context
def bench_cases(
    ctx: click.Context,
    import_rows: int,
    cases: int,
    lookups: int,
    postgres_url: str,
    as_json: bool,
) -> None:
    """Import N rows, then status lookups among M cases, on SQLite and PostgreSQL."""
    from sendbot.bench.cases import format_table, run
    from sendbot.kb.loader import load_knowledge
    from sendbot.kb.texts import Texts

    settings = settings_from(ctx)
    quiet()
    texts = Texts.load(settings.knowledge_dir / "messages.yaml")
    kb = load_knowledge(settings.knowledge_dir, settings.council)
    results = run(
        scratch_keyring(),
        texts,
        kb,
        import_rows=import_rows,
        cases=cases,
        lookups=lookups,
        postgres_url=postgres_url,
    )
    echo_rows(results, as_json, format_table)


@bench.command("sen2")
@click.option("--rows", default=100_000, show_default=True, help="Rows in the import.")
@click.option(
    "--map",
    "map_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The column map (default: the fernshire pack's import-map.yaml).",
)
@POSTGRES_OPTION
@JSON_LINES_OPTION
@click.pass_context
def bench_sen2(
    ctx: click.Context, rows: int, map_file: Path | None, postgres_url: str, as_json: bool
) -> None:
    """Import N rows of a SEN2-shaped extract through a column map; the figures after."""
    from sendbot.bench.sen2 import format_table, run
    from sendbot.cli.context import clock_from
    from sendbot.core.cases.column_map import IMPORT_MAP, load_map
    from sendbot.kb.texts import Texts

    settings = settings_from(ctx)
    quiet()
    texts = Texts.load(settings.knowledge_dir / "messages.yaml")
    path = map_file or settings.knowledge_dir / "local" / "fernshire" / IMPORT_MAP
    now = clock_from(ctx)()
    results = run(
        scratch_keyring(), texts, load_map(path), now, rows=rows, postgres_url=postgres_url
    )
    echo_rows(results, as_json, format_table)


@bench.command("e2e")
@click.option("--updates", default=2_000, show_default=True, help="Updates in the closed loop.")
@click.option("--chats", default=200, show_default=True, help="Simulated parents.")
@click.option("--concurrency", default=32, show_default=True, help="Updates in flight at once.")
@click.option(
    "--rate", default=200.0, show_default=True, help="Steady rate for latency, updates/s (0: off)."
)
@click.option("--rate-seconds", default=10.0, show_default=True, help="Length of the steady run.")
@click.option(
    "--processes",
    default="1",
    show_default=True,
    help="Bot processes, or several counts comma-separated for a scaling curve (1,2,3).",
)
@click.option(
    "--backend",
    type=click.Choice(["sqlite", "postgresql"]),
    default="sqlite",
    show_default=True,
    help="Database the bots share (a scratch file or schema, removed afterwards).",
)
@click.option(
    "--postgres-url",
    default=DEFAULT_POSTGRES,
    show_default=True,
    help="The PostgreSQL server for --backend postgresql.",
)
@click.option(
    "--profile",
    "profile_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Run the bots under cProfile, keep the files here and print where the time went.",
)
@click.option(
    "--echo-client",
    type=click.Choice(["httpx", "aiohttp"]),
    default="httpx",
    show_default=True,
    help="The echo bot's Bot API client: PTB's default, or the one sendbot uses.",
)
@JSON_LINES_OPTION
@click.pass_context
def bench_e2e(
    ctx: click.Context,
    updates: int,
    chats: int,
    concurrency: int,
    rate: float,
    rate_seconds: float,
    processes: str,
    backend: str,
    postgres_url: str,
    profile_dir: Path | None,
    echo_client: str,
    as_json: bool,
) -> None:
    """Simulated parents through `sendbot run` by webhook, against an echo bot."""
    from sendbot.bench.e2e import E2EOptions, format_table, run_e2e
    from sendbot.bench.profile import summarise

    settings = settings_from(ctx)
    quiet()
    counts = [int(n) for n in processes.split(",") if n.strip()]
    if not counts or min(counts) < 1:
        raise click.BadParameter("give one or more counts of 1 or more", param_hint="--processes")
    if profile_dir is not None:
        profile_dir = profile_dir.resolve()  # the bots run in a scratch folder
        profile_dir.mkdir(parents=True, exist_ok=True)
    options = E2EOptions(
        updates=updates,
        chats=chats,
        concurrency=concurrency,
        rate_per_s=rate,
        rate_seconds=rate_seconds,
        backend=backend,
        postgres_url=postgres_url,
        knowledge_dir=settings.knowledge_dir,
        council=settings.council,
        profile_dir=profile_dir,
        echo_client=echo_client,
    )
    rows = []
    for count in counts:
        row = run_async(run_e2e(count, options))
        rows.append(row)
        if as_json:
            click.echo(json.dumps(row))
    if not as_json:
        click.echo(format_table(rows))
    if profile_dir is not None:
        click.echo(summarise(sorted(profile_dir.glob("bot-*.prof"))), err=as_json)


@bench.command("web")
@click.option("--rounds", default=200, show_default=True, help="New parents, one question each.")
@JSON_OPTION
@click.pass_context
def bench_web(ctx: click.Context, rounds: int, as_json: bool) -> None:
    """Web chat: page weight, first answer latency against a static file, same server."""
    from sendbot.bench.web import format_table, run

    settings = settings_from(ctx)
    quiet("sendbot")
    result = run_async(run(settings, rounds))
    click.echo(json.dumps(result) if as_json else format_table(result))


@bench.command("console")
@click.option("--tickets", default=10_000, show_default=True, help="Tickets in the database.")
@click.option("--rounds", default=200, show_default=True, help="Times each page is loaded.")
@click.option(
    "--database-url",
    help="An empty database to fill (e.g. a PostgreSQL schema); a scratch SQLite file if unset.",
)
@JSON_OPTION
@click.pass_context
def bench_console(
    ctx: click.Context, tickets: int, rounds: int, database_url: str | None, as_json: bool
) -> None:
    """Officers' console: the inbox over many tickets against a static file, same server."""
    from sendbot.bench.console import format_table, run

    settings = settings_from(ctx)
    quiet("sendbot")
    result = run_async(run(settings, tickets, rounds, database_url))
    click.echo(json.dumps(result) if as_json else format_table(result))
