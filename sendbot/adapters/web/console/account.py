"""The officer's own account page: who they are, and signing out everywhere."""

from __future__ import annotations

from aiohttp import web

from sendbot.adapters.web.console.guard import app_of, requires, signed_in
from sendbot.adapters.web.console.pages import render
from sendbot.core.accounts.accounts import account_email


@requires("officer")
async def page(request: web.Request) -> web.StreamResponse:
    """Your account: e-mail, role, and "Sign out everywhere"."""
    current = signed_in(request)
    context = {
        "email": account_email(app_of(request).services, current.account),
        "role": current.officer.role,
    }
    return render(request, "console/account.html", context)
