"""Rendering console pages: every template gets the officer, the CSRF token and the nav."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from sendbot.core.accounts.sessions import SignedIn

SIGNED = web.RequestKey("console_signed_in", object)
CSRF = web.RequestKey("console_csrf", str)


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    """A console page (autoescaped Jinja2), with what the layout needs."""
    current = request.get(SIGNED)
    officer = current.officer if isinstance(current, SignedIn) else None
    full = {
        "officer": officer,
        "is_lead": officer is not None and officer.role == "lead",
        "csrf": request.get(CSRF, ""),
        "path": request.path,
        **context,
    }
    return aiohttp_jinja2.render_template(template, request, full, status=status)
