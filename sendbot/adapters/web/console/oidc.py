"""Single sign-on pages: off to the council's directory, back, and the security code.

The start is a link (a GET), not a form, so the console's `form-action 'self'` policy
holds while the browser is redirected to the directory. The directory's answer arrives
as a top-level GET from another site, which carries no SameSite=Strict cookie: the
sign-on is bound to the browser by its own SameSite=Lax cookie, and a new session is
handed over on a page that moves on to the inbox itself (a redirect there would still
count as coming from the other site, and the session cookie would not be sent).
"""

from __future__ import annotations

import re

from aiohttp import web

from sendbot.adapters.web.console import cookies
from sendbot.adapters.web.console.guard import PREFIX, app_of, requires, uow_of
from sendbot.adapters.web.console.pages import render
from sendbot.adapters.web.console.signin import LOCKED, field
from sendbot.adapters.web.keys import LIMITS
from sendbot.core.accounts import oidc
from sendbot.core.accounts.directory import Directory, DirectoryError
from sendbot.core.cases.timefmt import long_time

WRONG_CODE = "The security code is not right: enter the 6 digits your app shows now"
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")


def _error(request: web.Request, why: str, status: int = 400) -> web.Response:
    """The page saying, kindly, why single sign-on did not sign anyone in."""
    return render(request, "console/oidc_error.html", {"why": why}, status=status)


def _browser(request: web.Request) -> str:
    """The browser-binding cookie's value, if it is one this server could have made."""
    value = request.cookies.get(cookies.oidc_name(app_of(request).settings), "")
    return value if cookies.well_formed(value) else ""


@requires(None)
async def start(request: web.Request) -> web.StreamResponse:
    """Begin a sign-in and send the browser to the directory."""
    app = app_of(request)
    if not app.settings.console_oidc_enabled:
        return _error(request, "stale", status=404)
    if not await request.app[LIMITS].allow_ip(request):  # each start writes a row
        return _error(request, "busy", status=429)
    begun = await oidc.begin(uow_of(request), app.services, _browser(request) or None)
    try:
        url = await Directory(app.settings).authorization_url(
            begun.state, begun.nonce, begun.code_verifier
        )
    except DirectoryError as error:
        await oidc.refuse(uow_of(request), app.services, error.reason, "start")
        return _error(request, "unavailable", status=502)
    response = web.HTTPSeeOther(url)
    cookies.set_oidc(response, app.settings, begun.browser)
    raise response


@requires(None)
async def callback(request: web.Request) -> web.StreamResponse:
    """The directory's answer: checked, then a session, the code page, or an error page."""
    app = app_of(request)
    services, settings, uow = app.services, app.settings, uow_of(request)
    if not settings.console_oidc_enabled:
        return _error(request, "stale", status=404)
    query = request.query
    pending = await oidc.take(uow, services, query.get("state", ""), _browser(request))
    if pending is None:
        await oidc.refuse(uow, services, "state", "callback")
        return _error(request, "stale")
    await uow.commit()  # used up for good before the directory is asked anything
    issuer = (settings.console_oidc_issuer or "").rstrip("/")
    if "iss" in query and query["iss"].rstrip("/") != issuer:  # RFC 9207 mix-up defence
        await oidc.refuse(uow, services, "issuer", "callback")
        return _error(request, "token")
    if "error" in query or not query.get("code"):
        said = query.get("error", "")
        reason = "provider_" + (said if _ERROR_CODE.fullmatch(said) else "other")
        await oidc.refuse(uow, services, reason, "callback")
        return _error(request, "denied")
    try:
        identity = await Directory(settings).identity(
            query["code"], pending.code_verifier, pending.nonce, services.clock()
        )
    except DirectoryError as error:
        await oidc.refuse(uow, services, error.reason, "callback")
        return _error(request, "unavailable" if error.reason == "unavailable" else "token")
    accepted = await oidc.accept(uow, services, pending, identity)
    if accepted.refused is not None:
        return _error(request, accepted.refused, status=403)
    if accepted.token is not None:
        response = render(request, "console/oidc_done.html", {})
        cookies.set_session(response, settings, accepted.token)
        return response
    return render(request, "console/oidc_code.html", {"errors": []})


@requires(None)
async def code(request: web.Request) -> web.StreamResponse:
    """The security code after the directory's sign-in; a session and the inbox."""
    app = app_of(request)
    services, uow = app.services, uow_of(request)
    login = await oidc.awaiting_code(uow, services, _browser(request))
    if login is None:
        return _error(request, "stale")
    form = dict(await request.post())
    outcome = await oidc.finish_with_code(uow, services, login, field(form, "code", 16))
    if outcome.token is None:
        if outcome.refused == "locked" and outcome.until is not None:
            error = LOCKED.format(until=long_time(outcome.until))
        else:
            error = WRONG_CODE
        return render(request, "console/oidc_code.html", {"errors": [error]}, status=400)
    response = web.HTTPSeeOther(PREFIX)
    cookies.set_session(response, app.settings, outcome.token)
    raise response
