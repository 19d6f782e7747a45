"""`sendbot web`: serve the parents' web chat (the page, its widget and API)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal

import click

from sendbot.cli.context import run_async, settings_from
from sendbot.config import Settings

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """Whether the address is this machine only (the demo may then use a local key file)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def serve_web(settings: Settings, host: str, port: int) -> None:
    """Open the app and serve the web chat until SIGINT or SIGTERM."""
    from aiohttp import web

    from sendbot.adapters.web.server import build_web_app
    from sendbot.app import open_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_app(settings, allow_key_file=is_loopback(host)) as app:
        runner = web.AppRunner(build_web_app(app), access_log=None, shutdown_timeout=5)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        click.echo(f"sendbot web chat on http://{host}:{port}/chat", err=True)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.pass_context
def web_command(ctx: click.Context, host: str, port: int) -> None:
    """Serve the parents' web chat at http://HOST:PORT/chat."""
    settings = settings_from(ctx)
    if settings.web_cookie_secure and is_loopback(host):
        click.echo(
            "sendbot: note: the session cookie is Secure (HTTPS only); for plain "
            "http://127.0.0.1 set SENDBOT_WEB_COOKIE_SECURE=false",
            err=True,
        )
    run_async(serve_web(settings, host, port))
