"""`sendbot run`: serve parents on Telegram, by long polling or a webhook."""

from __future__ import annotations

import asyncio
import signal

import click

from sendbot.cli.context import run_async, settings_from
from sendbot.config import Settings


def missing_setting(settings: Settings, webhook: bool) -> str | None:
    """The first required setting that is not set, explained in one line."""
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        return "SENDBOT_TELEGRAM_TOKEN is not set: create a bot with @BotFather and set its token"
    if settings.secret_key is None or not settings.secret_key.get_secret_value():
        return (
            "SENDBOT_SECRET_KEY is not set: it protects parents' data; set it to a long "
            "random value"
        )
    if webhook and (
        settings.webhook_secret is None or not settings.webhook_secret.get_secret_value()
    ):
        return "SENDBOT_WEBHOOK_SECRET is not set: webhook mode needs it to check each request"
    return None


async def run_bot(settings: Settings, webhook_url: str | None, listen: str, port: int) -> None:
    """Open the app, build the Application and serve until SIGINT or SIGTERM."""
    from sendbot.adapters.telegram import build_application
    from sendbot.adapters.telegram.serve import Webhook, serve
    from sendbot.app import open_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    webhook = None
    if webhook_url:
        assert settings.webhook_secret is not None
        secret = settings.webhook_secret.get_secret_value()
        webhook = Webhook(url=webhook_url, listen=listen, port=port, secret_token=secret)
    async with open_app(settings) as app:
        await serve(build_application(settings, app), stop, webhook, settle=True)


@click.command("run")
@click.option("--webhook-url", help="Public HTTPS URL Telegram posts updates to (webhook mode).")
@click.option("--listen", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8443, show_default=True, type=int, help="Port to listen on.")
@click.pass_context
def run(ctx: click.Context, webhook_url: str | None, listen: str, port: int) -> None:
    """Serve parents on Telegram (long polling; a webhook with --webhook-url)."""
    settings = settings_from(ctx)
    problem = missing_setting(settings, webhook=bool(webhook_url))
    if problem:
        click.echo(f"sendbot: {problem}", err=True)
        raise SystemExit(2)
    from telegram.error import InvalidToken, NetworkError

    try:
        run_async(run_bot(settings, webhook_url, listen, port))
    except InvalidToken:
        click.echo("sendbot: the Bot API refused SENDBOT_TELEGRAM_TOKEN; check it", err=True)
        raise SystemExit(2) from None
    except NetworkError as error:
        where = settings.telegram_api_url or "api.telegram.org"
        click.echo(f"sendbot: cannot reach the Bot API at {where} ({error.message})", err=True)
        raise SystemExit(2) from None
