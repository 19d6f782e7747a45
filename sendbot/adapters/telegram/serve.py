"""Run the Application until asked to stop: long polling, or a webhook server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from sendbot.adapters.telegram.application import ALLOWED_UPDATES, TelegramApp

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


async def serve(application: TelegramApp, stop: asyncio.Event, webhook: Webhook | None) -> None:
    """Start the bot (commands announced, jobs running), then serve until `stop` is set."""
    async with application:  # initialize (getMe) and, on exit, shut down
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        updater = application.updater
        assert updater is not None
        try:
            if webhook is None:
                await updater.start_polling(timeout=POLL_TIMEOUT_S, allowed_updates=ALLOWED_UPDATES)
            else:
                await updater.start_webhook(
                    listen=webhook.listen,
                    port=webhook.port,
                    url_path=webhook.url_path,
                    webhook_url=webhook.url,
                    secret_token=webhook.secret_token,
                    allowed_updates=ALLOWED_UPDATES,
                )
            await stop.wait()
        finally:
            if updater.running:
                await updater.stop()
            if application.running:
                await application.stop()
