"""Run the Application until asked to stop: long polling, or a webhook server."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass
from urllib.parse import urlsplit

from sendbot.adapters.telegram.application import ALLOWED_UPDATES, TelegramApp
from sendbot.adapters.telegram.webhook import WebhookServer

POLL_TIMEOUT_S = 30


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates, where this process listens, and the shared secret."""

    url: str
    listen: str
    port: int
    secret_token: str

    @property
    def url_path(self) -> str:
        """The path this process serves: the path of the public URL."""
        return urlsplit(self.url).path.lstrip("/")


def settle_memory() -> None:
    """Leave everything built at start out of later garbage collections.

    The modules, the knowledge base and its indexes live as long as the process; without
    this each full collection walks them all again, a pause that lands on some parent's
    reply (`gc.freeze`, as long-running Python servers do).
    """
    gc.collect()
    gc.freeze()


async def serve(
    application: TelegramApp,
    stop: asyncio.Event,
    webhook: Webhook | None,
    settle: bool = False,
) -> None:
    """Start the bot (commands announced, jobs running), then serve until `stop` is set.

    A webhook is served by sendbot's own server, which answers each POST only once the
    update is handled (see webhook.py), never by PTB's, which answers before. `settle`
    (for a process that only serves, as `sendbot run`) calls `settle_memory` once started.
    """
    async with application:  # initialize (getMe) and, on exit, shut down
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        updater = application.updater
        server: WebhookServer | None = None
        try:
            if webhook is None:
                assert updater is not None
                await updater.start_polling(timeout=POLL_TIMEOUT_S, allowed_updates=ALLOWED_UPDATES)
            else:
                server = WebhookServer(
                    application, webhook.listen, webhook.port, webhook.url_path,
                    webhook.secret_token,
                )  # fmt: skip
                await server.start()
                await application.bot.set_webhook(
                    webhook.url,
                    secret_token=webhook.secret_token,
                    allowed_updates=ALLOWED_UPDATES,
                )
            if settle:
                settle_memory()
            await stop.wait()
        finally:
            if server is not None:
                await server.stop()
            if updater is not None and updater.running:
                await updater.stop()
            if application.running:
                await application.stop()
