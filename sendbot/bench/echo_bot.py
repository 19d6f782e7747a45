"""The benchmark's baseline: a PTB bot that echoes text, on sendbot's webhook server.

Run as `python -m sendbot.bench.echo_bot --port N` with SENDBOT_TELEGRAM_TOKEN,
SENDBOT_TELEGRAM_API_URL and SENDBOT_WEBHOOK_SECRET set, as `sendbot run` is.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from sendbot.adapters.telegram.webhook import WebhookServer


def build_echo_application(
    token: str, api_url: str, client: str = "httpx"
) -> Application[Any, Any, Any, Any, Any, Any]:
    """A bot whose one handler sends each text message back.

    `client` is its Bot API client: PTB's default ("httpx"), or sendbot's ("aiohttp"), to
    compare the two bots on the same client.
    """
    root = api_url.rstrip("/")
    builder = (
        Application.builder()
        .token(token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .updater(None)
    )
    if client == "aiohttp":
        from sendbot.adapters.telegram.aiohttp_request import AiohttpRequest

        builder = builder.request(AiohttpRequest())
    application = builder.build()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text is not None:
            await context.bot.send_message(message.chat_id, message.text)

    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


async def serve_echo(port: int, path: str, client: str = "httpx") -> None:
    """Serve the echo bot on 127.0.0.1:port until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    application = build_echo_application(
        os.environ["SENDBOT_TELEGRAM_TOKEN"], os.environ["SENDBOT_TELEGRAM_API_URL"], client
    )
    async with application:
        await application.start()
        server = WebhookServer(
            application, "127.0.0.1", port, path, os.environ["SENDBOT_WEBHOOK_SECRET"]
        )
        await server.start()
        try:
            await stop.wait()
        finally:
            await server.stop()
            await application.stop()


def main() -> None:
    """Entry point: parse the port and path, serve."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="hook")
    parser.add_argument("--client", choices=("httpx", "aiohttp"), default="httpx")
    arguments = parser.parse_args()
    asyncio.run(serve_echo(arguments.port, arguments.path, arguments.client))


if __name__ == "__main__":
    main()
