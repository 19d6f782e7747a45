"""The one command line, `sendbot VERB`: the root group and its verb groups, one module each."""

from __future__ import annotations

import click

from sendbot.cli import (
    answers,
    audit,
    bench,
    cases,
    chat,
    db,
    feedback,
    officers,
    privacy,
    telegram,
    web,
)
from sendbot.cli.context import install_clock
from sendbot.config import load_settings
from sendbot.logging_setup import configure_logging


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
    install_clock(ctx, ctx.obj)
    ctx.obj = settings


for verb in (
    chat.chat,
    db.db,
    audit.audit,
    answers.kb,
    answers.ask,
    answers.eval_command,
    bench.bench,
    cases.cases,
    officers.officers,
    feedback.feedback,
    privacy.keys,
    privacy.purge,
    telegram.run,
    web.web_command,
):
    cli.add_command(verb)


def main() -> None:
    """Entry point of the `sendbot` console script."""
    cli(prog_name="sendbot")
