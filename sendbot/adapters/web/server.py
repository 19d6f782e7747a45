"""The web chat's aiohttp application: pages, static files, the JSON and form API."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from sendbot.adapters.web import console, handlers
from sendbot.adapters.web.chat import WebChat
from sendbot.adapters.web.keys import CHAT, LIMITS, STREAMS, Streams
from sendbot.adapters.web.live import Notifier, WebSender
from sendbot.adapters.web.ratelimit import RateLimits, rate_storage
from sendbot.adapters.web.security import security_middleware
from sendbot.app import App
from sendbot.core.jobs.loop import run_jobs
from sendbot.core.jobs.registry import JobContext
from sendbot.core.schedule import scheduled_jobs

HERE = Path(__file__).resolve().parent
MAX_BODY_BYTES = 64 * 1024  # a 4,000-character message, form-encoded, fits with room


def build_web_app(app: App, *, jobs: bool = True) -> web.Application:
    """The web chat for a ready sendbot App; `jobs` runs the outbox and core jobs here."""
    web_app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        middlewares=[
            console.console_middleware(app),  # type: ignore[list-item]  # outermost: wins
            security_middleware(app.settings),  # type: ignore[list-item]
        ],
    )
    notifier = Notifier()
    chat = WebChat(app, notifier)
    web_app[CHAT] = chat
    web_app[LIMITS] = RateLimits(app.settings, rate_storage(app))
    web_app[STREAMS] = Streams()
    aiohttp_jinja2.setup(
        web_app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html", "js"]),
    )
    routes = web_app.router
    routes.add_get("/", handlers.home)
    routes.add_get("/chat", handlers.page)
    routes.add_get("/accessibility", handlers.accessibility)
    routes.add_get("/widget.js", handlers.widget)
    routes.add_get("/api/history", handlers.history)
    routes.add_get("/api/events", handlers.events)
    routes.add_post("/chat/send", handlers.send)
    routes.add_post("/chat/press", handlers.press)
    routes.add_post("/chat/clear", handlers.clear)
    routes.add_post("/mydata", handlers.mydata)
    routes.add_post("/chat/file", handlers.letter_file)
    console.register(web_app, app)
    routes.add_static("/static", HERE / "static", append_version=False)
    if jobs:
        web_app.cleanup_ctx.append(_jobs(chat, app))
    web_app.on_shutdown.append(_close_streams)
    return web_app


def _jobs(chat: WebChat, app: App):  # type: ignore[no-untyped-def]
    """Run the outbox (web messages into histories) and the core's jobs while serving."""

    async def context(_: web.Application):  # type: ignore[no-untyped-def]
        sender = WebSender(chat.history, app.services.keyring, chat.notifier, app.services.clock)
        stop = asyncio.Event()
        job_context = JobContext(services=app.services, database=app.database, sender=sender)
        task = asyncio.create_task(run_jobs(job_context, stop, scheduled_jobs()))
        yield
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context


async def _close_streams(web_app: web.Application) -> None:
    """End open event streams so the server stops at once (browsers reconnect)."""
    for task in list(web_app[STREAMS].tasks):
        task.cancel()
