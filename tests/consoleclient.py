"""An officers' console client for tests: the real aiohttp app, a cookie jar, form posts."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from sendbot.adapters.web.server import build_web_app
from sendbot.app import App
from sendbot.clock import FrozenClock
from sendbot.core.accounts.accounts import add_account

_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
_KEY = re.compile(r'<code class="key" id="setup-key">([A-Z2-7 ]+)</code>')
PASSWORD = "correct horse battery staple"


def key_of(page: str) -> str:
    """The TOTP key a set-up page shows as text (what a person types into their app)."""
    found = _KEY.search(page)
    assert found, "no key on the set-up page"
    return found.group(1).replace(" ", "")


def code(secret: str, clock: FrozenClock) -> str:
    """The code an authenticator app shows now."""
    return pyotp.TOTP(secret).at(clock())


def csrf_of(page: str) -> str:
    """The CSRF token in a page's form."""
    found = _CSRF.search(page)
    assert found, "no CSRF field on the page"
    return found.group(1)


class ConsoleClient:
    """One officer's browser."""

    def __init__(self, client: TestClient[web.Request, web.Application], app: App) -> None:
        self.client = client
        self.app = app
        self.csrf = ""

    async def get(self, path: str, status: int = 200) -> str:
        """GET a page (not following redirects), remembering its form's CSRF token."""
        response = await self.client.get(path, allow_redirects=False)
        text = await response.text()
        assert response.status == status, (response.status, text[:500])
        found = _CSRF.search(text)
        if found:
            self.csrf = found.group(1)
        return text

    async def post(
        self, path: str, fields: dict[str, str], csrf: str | None = None
    ) -> ClientResponse:
        """POST a form with the CSRF token (the last page's unless given)."""
        data = {"csrf": self.csrf if csrf is None else csrf, **fields}
        return await self.client.post(path, data=data, allow_redirects=False)


@asynccontextmanager
async def console_client(app: App) -> AsyncIterator[ConsoleClient]:
    """A client of the console on the web server serving `app` (jobs off)."""
    async with TestClient(TestServer(build_web_app(app, jobs=False))) as client:
        yield ConsoleClient(client, app)


async def new_account(app: App, email: str, role: str = "officer") -> str:
    """Make an account; its set-up link's path."""
    async with app.database.unit_of_work() as uow:
        link = await add_account(
            uow, app.services.keyring, app.settings, app.services.clock(), email, role, "cli:test"
        )
    return urlsplit(link.url).path


async def set_up(client: ConsoleClient, path: str, clock: FrozenClock) -> str:
    """Follow a set-up link: choose the password, confirm a code; the TOTP secret."""
    secret = key_of(await client.get(path))
    response = await client.post(path, {"password": PASSWORD, "code": code(secret, clock)})
    assert response.status == 303, await response.text()
    return secret


async def sign_in(
    client: ConsoleClient, email: str, secret: str, clock: FrozenClock, password: str = PASSWORD
) -> ClientResponse:
    """Sign in half a minute later (each code works once); the response."""
    clock.advance(timedelta(seconds=30))
    await client.get("/officers/sign-in")
    return await client.post(
        "/officers/sign-in", {"email": email, "password": password, "code": code(secret, clock)}
    )


@asynccontextmanager
async def signed_in_officer(
    app: App, clock: FrozenClock, email: str, role: str = "officer"
) -> AsyncIterator[ConsoleClient]:
    """A console client signed in as a new officer."""
    async with console_client(app) as client:
        secret = await set_up(client, await new_account(app, email, role), clock)
        response = await sign_in(client, email, secret, clock)
        assert response.status == 303, await response.text()
        yield client
