"""The one gate of every console route: a unit of work, the session, the role, CSRF.

Every handler under /officers declares the least role it needs with `@requires(...)`
(None for the sign-in and set-up pages); a handler without a declaration is refused,
so a new route cannot forget. The middleware opens one unit of work per request,
finds the session (ending it if it expired or the officer was removed), checks the
role, checks the CSRF token of every POST, and marks every response no-store with a
policy that forbids framing.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from sendbot.adapters.web.console import cookies
from sendbot.adapters.web.console.pages import CSRF, SIGNED, render
from sendbot.adapters.web.security import content_security_policy
from sendbot.app import App
from sendbot.core import audit
from sendbot.core.accounts import sessions
from sendbot.core.accounts.sessions import SignedIn
from sendbot.storage.unit_of_work import UnitOfWork

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Handler)
PREFIX = "/officers"
ROLE_ATTR = "console_role"
PUBLIC = "public"
RANK = {"officer": 1, "lead": 2}
APP = web.AppKey("console_app", App)
UOW = web.RequestKey("console_uow", UnitOfWork)
SIGN_IN = PREFIX + "/sign-in"


def requires(role: str | None) -> Callable[[H], H]:
    """Declare the least role a handler needs: "officer", "lead", or None for anyone."""
    if role is not None and role not in RANK:
        raise ValueError(f"unknown role {role}")

    def mark(handler: H) -> H:
        setattr(handler, ROLE_ATTR, role or PUBLIC)
        return handler

    return mark


def app_of(request: web.Request) -> App:
    """The sendbot App the console runs on."""
    return request.app[APP]


def uow_of(request: web.Request) -> UnitOfWork:
    """This request's unit of work."""
    return request[UOW]


def signed_in(request: web.Request) -> SignedIn:
    """The signed-in officer of a request to a role-guarded route."""
    found = request.get(SIGNED)
    assert isinstance(found, SignedIn)
    return found


def _policy(app: App) -> str:
    """The web chat's strict policy, with framing forbidden outright."""
    base = content_security_policy(app.settings)
    return base.split("; frame-ancestors")[0] + "; frame-ancestors 'none'"


def console_middleware(app: App) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """The middleware guarding /officers (other paths pass straight through)."""
    policy = _policy(app)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != PREFIX and not request.path.startswith(PREFIX + "/"):
            return await handler(request)
        try:
            response = await _guarded(request, handler)
        except web.HTTPException as error:
            _headers(error, policy)
            raise
        return _headers(response, policy)

    return guard


def _headers(response: web.StreamResponse, policy: str) -> web.StreamResponse:
    """No officer page is stored by browsers or proxies, nor framed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Frame-Options"] = "DENY"
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Run a console handler inside its unit of work, once the gate lets it through."""
    match = request.match_info
    role = getattr(match.handler, ROLE_ATTR, None)
    if role is None:
        if match.http_exception is not None:
            raise match.http_exception
        raise web.HTTPForbidden(text="This page is not open to anyone.")
    app = app_of(request)
    redirect: web.HTTPException | None = None
    async with app.database.unit_of_work() as uow:
        request[UOW] = uow
        try:
            response = await _gate(request, handler, role, uow)
        except web.HTTPException as error:
            if error.status >= 400:
                raise
            redirect = error  # a redirect after a POST: commit what it did first
    if redirect is not None:
        raise redirect
    return response


async def _gate(
    request: web.Request, handler: Handler, role: str, uow: UnitOfWork
) -> web.StreamResponse:
    """Session, role and CSRF checks; then the handler."""
    app = app_of(request)
    services = app.services
    token = request.cookies.get(cookies.session_name(app.settings), "")
    current = await sessions.current(uow, services, token) if token else None
    request[SIGNED] = current
    new_pre: str | None = None
    if role == PUBLIC:
        pre = request.cookies.get(cookies.pre_name(app.settings), "")
        if not cookies.well_formed(pre):
            pre = new_pre = secrets.token_urlsafe(32)
        request[CSRF] = cookies.pre_csrf(services.keyring, pre)
    else:
        if current is None:
            if request.method == "GET":
                raise web.HTTPSeeOther(SIGN_IN + ("?ended=1" if token else ""))
            return await _refuse(request, 403, "signed_out")
        request[CSRF] = sessions.csrf_token(services, token)
        if RANK[current.officer.role] < RANK[role]:
            await _denied(request, uow, current)
            return await _refuse(request, 403, "forbidden")
    if request.method == "POST":
        form = await request.post()
        sent = form.get("csrf")
        if not isinstance(sent, str) or not secrets.compare_digest(
            sent.encode(), str(request[CSRF]).encode()
        ):
            return await _refuse(request, 403, "stale")
    response = await handler(request)
    if new_pre is not None:
        cookies.set_pre(response, app.settings, new_pre)
    return response


async def _denied(request: web.Request, uow: UnitOfWork, current: SignedIn) -> None:
    """Audit a refused attempt at a lead's page."""
    services = app_of(request).services
    await audit.append(
        uow.session,
        services.keyring,
        actor=f"officer:{current.officer.id}",
        action="console.denied",
        subject_type="page",
        subject_id=_route_name(request),
        at=services.clock(),
    )


def _route_name(request: web.Request) -> str:
    """The route's pattern (never the values in it)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "?"


async def _refuse(request: web.Request, status: int, why: str) -> web.StreamResponse:
    """The page that says, in plain words, why a request was refused."""
    context: dict[str, Any] = {"why": why}
    return render(request, "console/refused.html", context, status=status)
