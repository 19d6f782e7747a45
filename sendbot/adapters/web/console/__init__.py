"""The officers' web console under /officers, on the same server as the parents' chat."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from sendbot.adapters.web.console import (
    account,
    audit_log,
    cases,
    feedback,
    inbox,
    oidc,
    reports,
    signin,
    ticket,
)
from sendbot.adapters.web.console.guard import APP, PREFIX, console_middleware
from sendbot.app import App
from sendbot.core.cases.timefmt import long_time

__all__ = ["console_middleware", "register"]


def register(web_app: web.Application, app: App) -> None:
    """Add the console's routes (its middleware is added where the app is built)."""
    web_app[APP] = app
    env = aiohttp_jinja2.get_env(web_app)
    env.filters["when"] = long_time
    routes = web_app.router
    routes.add_get(PREFIX + "/sign-in", signin.sign_in_page)
    routes.add_post(PREFIX + "/sign-in", signin.sign_in)
    routes.add_post(PREFIX + "/sign-out", signin.sign_out)
    routes.add_post(PREFIX + "/sign-out-everywhere", signin.sign_out_everywhere)
    routes.add_get(PREFIX + "/oidc/start", oidc.start)
    routes.add_get(PREFIX + "/oidc/callback", oidc.callback)
    routes.add_post(PREFIX + "/oidc/code", oidc.code)
    routes.add_get(PREFIX + "/setup/{token}", signin.setup_page)
    routes.add_post(PREFIX + "/setup/{token}", signin.setup)
    routes.add_get(PREFIX + "/account", account.page)
    routes.add_get(PREFIX + "/audit", audit_log.page)
    routes.add_get(PREFIX + "/cases", cases.page)
    routes.add_get(PREFIX + "/reports", reports.page)
    routes.add_get(PREFIX + "/reports.csv", reports.csv_file)
    routes.add_get(PREFIX + "/gaps", reports.gaps)
    routes.add_get(PREFIX + "/feedback", feedback.page)
    routes.add_post(PREFIX + "/feedback/{reference}", feedback.respond)
    routes.add_get(PREFIX + "/tickets/{reference}", ticket.page)
    for action in ("claim", "reply", "attach", "note", "close", "reopen", "assign"):
        routes.add_post(PREFIX + "/tickets/{reference}/" + action, getattr(ticket, action))
    routes.add_get(PREFIX, inbox.page)
