"""Serving WhatsApp: the webhook on `sendbot web`'s server or its own, and the outbox.

`attach` adds the webhook and a WhatsApp outbox loop to an aiohttp application that runs
the core's other jobs already (the web chat's); `serve` runs the webhook alone with every
core job, for `sendbot run --channel whatsapp`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from sendbot.adapters.whatsapp.cloud import CloudAPI
from sendbot.adapters.whatsapp.handlers import WhatsAppHandlers
from sendbot.adapters.whatsapp.webhook import PATH, add_routes
from sendbot.app import App
from sendbot.config import Settings
from sendbot.core.jobs.loop import run_jobs
from sendbot.core.jobs.registry import JobContext
from sendbot.core.schedule import scheduled_jobs

log = logging.getLogger(__name__)


def missing_setting(settings: Settings) -> str | None:
    """The first setting WhatsApp needs that is not set, explained in one line."""
    needed = (
        ("whatsapp_token", "the Cloud API access token (a system user's token)"),
        ("whatsapp_phone_number_id", "the business phone number's id from Meta's app dashboard"),
        ("whatsapp_app_secret", "the Meta app's secret, which signs each webhook request"),
        ("whatsapp_verify_token", "any long random value, typed into Meta's webhook settings"),
        ("secret_key", "it protects parents' data: set it to a long random value"),
    )
    for name, why in needed:
        value = getattr(settings, name)
        shown = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        if not shown:
            return f"SENDBOT_{name.upper()} is not set: {why}"
    return None


def configured(settings: Settings) -> bool:
    """Whether WhatsApp is set up (the web server then serves its webhook too)."""
    return missing_setting(settings) is None


def attach(
    web_app: web.Application,
    app: App,
    *,
    all_jobs: bool = False,
    jobs: bool = True,
    api: CloudAPI | None = None,
) -> WhatsAppHandlers:
    """Serve the webhook on `web_app`; deliver WhatsApp's outbox while it runs (`jobs`)
    with the core's other jobs too when `all_jobs`."""
    cloud = api or CloudAPI(app.settings)
    handlers = WhatsAppHandlers(app, cloud)
    add_routes(web_app, handlers)
    if not jobs:
        web_app.on_cleanup.append(lambda _: cloud.close())
        return handlers

    async def run(_: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        context = JobContext(services=app.services, database=app.database, sender=handlers.sender)
        chosen = [job for job in scheduled_jobs() if all_jobs or job.name == "outbox"]
        task = asyncio.create_task(run_jobs(context, stop, chosen))
        yield
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await cloud.close()

    web_app.cleanup_ctx.append(run)
    return handlers


async def serve(app: App, listen: str, port: int, stop: asyncio.Event) -> None:
    """The webhook alone on listen:port, with every core job, until `stop` is set."""
    web_app = web.Application()
    attach(web_app, app, all_jobs=True)
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=10)
    await runner.setup()
    await web.TCPSite(runner, listen, port).start()
    log.info("WhatsApp webhook listening on %s:%s%s", listen, port, PATH)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
