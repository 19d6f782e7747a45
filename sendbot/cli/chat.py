"""`sendbot chat`: the bot in this terminal."""

from __future__ import annotations

import sys

import click

from sendbot.cli.context import clock_from, run_async, settings_from


@click.command()
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
