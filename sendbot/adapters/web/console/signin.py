"""Sign-in, set-up and sign-out pages of the console."""

from __future__ import annotations

from collections.abc import Mapping

import segno
from aiohttp import web

from sendbot.adapters.web.console import cookies
from sendbot.adapters.web.console.guard import PREFIX, app_of, requires, signed_in, uow_of
from sendbot.adapters.web.console.pages import render
from sendbot.core.accounts import accounts, sessions, totp
from sendbot.core.cases.timefmt import long_time
from sendbot.storage.models import ConsoleAccount

QR_LABEL = "QR code for your authenticator app"
WRONG = "The email, password or security code is not right"
LOCKED = "Too many failed sign-ins: you can try again after {until}"


def field(form: Mapping[str, object], name: str, limit: int = 256) -> str:
    """A form field as text, cut to a sane length."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


@requires(None)
async def sign_in_page(request: web.Request) -> web.StreamResponse:
    """The sign-in form."""
    notice = None
    if request.query.get("ended") == "1":
        notice = "You have been signed out. Sign in again to carry on."
    elif request.query.get("out") == "1":
        notice = "You have signed out."
    elif request.query.get("ready") == "1":
        notice = "Your account is set up. Sign in with your email, password and security code."
    context: dict[str, object] = {
        "notice": notice,
        "errors": [],
        "email": "",
        "oidc_button": _button(request),
    }
    return render(request, "console/sign_in.html", context)


def _button(request: web.Request) -> str | None:
    """The single sign-on button's words, when single sign-on is configured."""
    settings = app_of(request).settings
    return settings.console_oidc_button if settings.console_oidc_enabled else None


@requires(None)
async def sign_in(request: web.Request) -> web.StreamResponse:
    """Check the three fields; a session cookie and the inbox, or one uniform error."""
    app = app_of(request)
    form = dict(await request.post())
    email = field(form, "email")
    outcome = await sessions.sign_in(
        uow_of(request),
        app.services,
        email,
        field(form, "password"),
        field(form, "code", 16),
    )
    if outcome.token is None:
        if outcome.refused == "locked" and outcome.until is not None:
            error = LOCKED.format(until=long_time(outcome.until))
        else:
            error = WRONG
        context = {
            "notice": None,
            "errors": [error],
            "email": email,
            "oidc_button": _button(request),
        }
        return render(request, "console/sign_in.html", context, status=400)
    response = web.HTTPSeeOther(PREFIX)
    cookies.set_session(response, app.settings, outcome.token)
    raise response


@requires("officer")
async def sign_out(request: web.Request) -> web.StreamResponse:
    """End this session."""
    return await _sign_out(request, everywhere=False)


@requires("officer")
async def sign_out_everywhere(request: web.Request) -> web.StreamResponse:
    """End every session of this officer, on every device."""
    return await _sign_out(request, everywhere=True)


async def _sign_out(request: web.Request, everywhere: bool) -> web.StreamResponse:
    app = app_of(request)
    await sessions.sign_out(uow_of(request), app.services, signed_in(request), everywhere)
    response = web.HTTPSeeOther(PREFIX + "/sign-in?out=1")
    cookies.drop_session(response, app.settings)
    raise response


def _qr_svg(uri: str) -> str:
    """The QR code as inline SVG (no script, no style attribute, no outside request)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, title=QR_LABEL)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{QR_LABEL}" ', 1)


async def _setup_context(request: web.Request, errors: list[str]) -> dict[str, object] | None:
    """What the set-up page shows, or None if the link is not (or no longer) valid."""
    app = app_of(request)
    account = await accounts.pending_setup(
        uow_of(request), app.services, request.match_info["token"]
    )
    if account is None:
        return None
    secret = accounts.setup_secret(app.services, account)
    label = accounts.account_email(app.services, account)
    issuer = f"sendbot {app.services.kb.council_name}".strip()
    return {
        "qr": _qr_svg(totp.provisioning_uri(secret, label, issuer)),
        "key": totp.grouped(secret),
        "errors": errors,
        "expires": long_time(account.setup_expires_at) if account.setup_expires_at else "",
        "account": account,
    }


@requires(None)
async def setup_page(request: web.Request) -> web.StreamResponse:
    """Set up an account: the key as a QR code and as text, a password and a code."""
    context = await _setup_context(request, [])
    if context is None:
        return render(request, "console/setup_invalid.html", {}, status=404)
    return render(request, "console/setup.html", context)


@requires(None)
async def setup(request: web.Request) -> web.StreamResponse:
    """Finish set-up; then the sign-in page."""
    app = app_of(request)
    context = await _setup_context(request, [])
    if context is None:
        return render(request, "console/setup_invalid.html", {}, status=404)
    form = dict(await request.post())
    account = context["account"]
    assert isinstance(account, ConsoleAccount)
    problem = await accounts.finish_setup(
        uow_of(request), app.services, account, field(form, "password"), field(form, "code", 16)
    )
    if problem is not None:
        context["errors"] = [problem]
        return render(request, "console/setup.html", context, status=400)
    raise web.HTTPSeeOther(PREFIX + "/sign-in?ready=1")
