"""Single sign-on to the console end to end, against a real OpenID provider (oidc-provider).

An HTTP client follows the redirects: the console's start, the provider's sign-in form,
the provider's answer back to the console. Skipped only where Node or the npm module is
missing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from sqlalchemy import select

from sendbot.adapters.web.server import build_web_app
from sendbot.app import App, open_app
from sendbot.clock import FrozenClock, system_clock
from sendbot.config import Settings
from sendbot.core.accounts.directory import CALLBACK_PATH
from sendbot.storage.models import AuditRecord
from tests.consoleclient import code, console_client, new_account, set_up
from tests.oidcprovider import (
    CLIENT_SECRET,
    USERS,
    LocalProvider,
    local_provider,
    missing_provider,
)
from tests.webbrowser import free_port

REASON = missing_provider()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


@pytest.fixture(scope="module")
def console_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def provider(
    tmp_path_factory: pytest.TempPathFactory, console_port: int
) -> Iterator[LocalProvider]:
    folder = tmp_path_factory.mktemp("oidc")
    redirect = f"http://127.0.0.1:{console_port}{CALLBACK_PATH}"
    with local_provider(folder, redirect) as running:
        yield running


@pytest.fixture
def clock() -> FrozenClock:
    # The provider signs tokens at the real time, so the console's clock starts there.
    return FrozenClock(system_clock())


@pytest.fixture
async def sso_app(
    settings: Settings, provider: LocalProvider, console_port: int, clock: FrozenClock
) -> AsyncIterator[App]:
    configured = settings.model_copy(
        update={
            "web_cookie_secure": False,
            "console_url": f"http://127.0.0.1:{console_port}",
            **provider.settings(),
        }
    )
    async with open_app(configured, clock=clock) as app:
        yield app


@pytest.fixture
async def console(sso_app: App, console_port: int) -> AsyncIterator[str]:
    server = TestServer(build_web_app(sso_app, jobs=False), port=console_port)
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{console_port}"
    finally:
        await server.close()


async def through_directory(
    http: httpx.AsyncClient, console: str, login: str, go: str = "login"
) -> httpx.Response:
    """Click the button, sign in at the provider as `login`; the console's answer."""
    page = await http.get(console + "/officers/sign-in")
    assert "Sign in with Testshire account" in page.text
    form = await http.get(console + "/officers/oidc/start", follow_redirects=True)
    assert form.status_code == 200 and "Test directory sign-in" in form.text, form.text[:300]
    found = _ACTION.search(form.text)
    assert found
    fields = {"login": login, "password": "anything", "go": go}
    target = urljoin(str(form.url), found.group(1))
    return await http.post(target, data=fields, follow_redirects=True)


async def answer_of(http: httpx.AsyncClient, console: str, login: str) -> str:
    """Sign in at the provider as `login`; the console address it sends back (not opened)."""
    form = await http.get(console + "/officers/oidc/start", follow_redirects=True)
    found = _ACTION.search(form.text)
    assert found
    fields = {"login": login, "password": "anything", "go": "login"}
    response = await http.post(urljoin(str(form.url), found.group(1)), data=fields)
    while not response.headers.get("Location", "").startswith(console):
        assert response.status_code in (302, 303), response.text[:300]
        response = await http.get(urljoin(str(response.url), response.headers["Location"]))
    return response.headers["Location"]


async def audit_rows(app: App) -> list[AuditRecord]:
    async with app.database.unit_of_work() as uow:
        return list((await uow.session.execute(select(AuditRecord))).scalars())


async def signed_in(http: httpx.AsyncClient, console: str) -> bool:
    response = await http.get(console + "/officers")
    return response.status_code == 200 and "<h1>Inbox</h1>" in response.text


async def test_directory_mfa_signs_in_to_the_inbox_and_links_the_identity(
    sso_app: App, console: str, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await new_account(sso_app, "sam.officer@testshire.gov.uk")  # the e-mail's case differs
    async with httpx.AsyncClient() as http:
        done = await through_directory(http, console, "sam")
        assert done.status_code == 200 and "You are signed in" in done.text
        assert done.url.path == CALLBACK_PATH
        assert done.headers["Cache-Control"] == "no-store"
        assert "form-action 'self'" in done.headers["Content-Security-Policy"]
        assert await signed_in(http, console)
        page = await http.get(console + "/officers/account")
        token = _CSRF.search(page.text)
        assert token
        out = await http.post(
            console + "/officers/sign-out-everywhere", data={"csrf": token.group(1)}
        )
        assert out.status_code == 303
        assert not await signed_in(http, console)
    rows = await audit_rows(sso_app)
    signins = [r for r in rows if r.action == "console.signin"]
    assert [r.detail for r in signins] == [{"via": "oidc", "mfa": "directory"}]
    assert "console.oidc_link" in {r.action for r in rows}
    # The second time the link (issuer, subject) finds the account; the same session rules.
    async with httpx.AsyncClient() as http:
        assert "You are signed in" in (await through_directory(http, console, "sam")).text
        assert await signed_in(http, console)
        clock.advance(timedelta(minutes=sso_app.settings.console_idle_minutes, seconds=1))
        assert not await signed_in(http, console)
    assert [r.action for r in await audit_rows(sso_app)].count("console.oidc_link") == 1
    logged = caplog.text.lower()
    assert CLIENT_SECRET.lower() not in logged and "sam.officer" not in logged


async def test_without_directory_mfa_the_security_code_is_asked(
    sso_app: App, console: str, clock: FrozenClock
) -> None:
    email = USERS["pat"]["email"]
    async with console_client(sso_app) as client:
        secret = await set_up(client, await new_account(sso_app, email), clock)
    async with httpx.AsyncClient() as http:
        asked = await through_directory(http, console, "pat")
        assert asked.status_code == 200 and "Enter your security code" in asked.text
        assert not await signed_in(http, console)
        token = _CSRF.search(asked.text)
        assert token
        forged = await http.post(
            console + "/officers/oidc/code", data={"csrf": "forged", "code": code(secret, clock)}
        )
        assert forged.status_code == 403
        wrong = await http.post(
            console + "/officers/oidc/code", data={"csrf": token.group(1), "code": "000000"}
        )
        assert wrong.status_code == 400 and "security code is not right" in wrong.text
        clock.advance(timedelta(seconds=30))
        right = await http.post(
            console + "/officers/oidc/code",
            data={"csrf": token.group(1), "code": code(secret, clock)},
        )
        assert right.status_code == 303 and right.headers["Location"] == "/officers"
        assert await signed_in(http, console)
    actions = [r.action for r in await audit_rows(sso_app)]
    assert "console.signin_failed" in actions and "console.signin" in actions


async def test_an_unknown_or_unverified_person_is_refused_kindly_and_audited(
    sso_app: App, console: str
) -> None:
    await new_account(sso_app, USERS["una"]["email"])
    for login in ("stranger", "una"):
        async with httpx.AsyncClient() as http:
            refused = await through_directory(http, console, login)
            assert refused.status_code == 403
            assert "This account is not set up for the console" in refused.text
            assert "Ask your team lead" in refused.text
            assert not await signed_in(http, console)
    rows = [r for r in await audit_rows(sso_app) if r.action == "console.oidc_refused"]
    assert [r.detail["reason"] for r in rows] == ["unknown", "no_verified_email"]
    everything = repr([(r.actor, r.subject_id, r.detail) for r in await audit_rows(sso_app)])
    assert "stranger" not in everything and "una.officer" not in everything


async def test_a_removed_officer_cannot_sign_in_this_way(sso_app: App, console: str) -> None:
    await new_account(sso_app, USERS["sam"]["email"])
    async with sso_app.database.unit_of_work() as uow:
        officer = (await uow.officers.all())[-1]
        await uow.officers.remove(officer.id)
    async with httpx.AsyncClient() as http:
        refused = await through_directory(http, console, "sam")
        assert refused.status_code == 403 and "not set up for the console" in refused.text
        assert not await signed_in(http, console)


async def test_a_replayed_forged_or_foreign_answer_signs_nobody_in(
    sso_app: App, console: str
) -> None:
    await new_account(sso_app, USERS["sam"]["email"])
    async with httpx.AsyncClient() as http:
        answer = await answer_of(http, console, "sam")
        assert "state=" in answer and "code=" in answer
    async with httpx.AsyncClient() as http:
        # The answer in another browser (no binding cookie), then a forged state.
        foreign = await http.get(answer)
        assert foreign.status_code == 400 and "out of date, already used" in foreign.text
        forged = await http.get(console + CALLBACK_PATH + "?code=abc&state=forged")
        assert forged.status_code == 400
        assert not await signed_in(http, console)
    async with httpx.AsyncClient() as http:
        # A fresh answer, used, then replayed in its own browser.
        answer = await answer_of(http, console, "sam")
        assert "You are signed in" in (await http.get(answer)).text
        http.cookies.delete("sendbot_officer")
        again = await http.get(answer)
        assert again.status_code == 400 and "already used" in again.text
        assert not await signed_in(http, console)
    reasons = [r.detail.get("reason") for r in await audit_rows(sso_app)]
    assert reasons.count("state") == 3


async def test_an_answer_naming_another_issuer_is_refused(sso_app: App, console: str) -> None:
    await new_account(sso_app, USERS["sam"]["email"])
    async with httpx.AsyncClient() as http:
        answer = await answer_of(http, console, "sam")
        mixed = re.sub(r"iss=[^&]+", "iss=https%3A%2F%2Fevil.example", answer)
        assert mixed != answer
        refused = await http.get(mixed)
        assert refused.status_code == 400 and "could not be checked" in refused.text
        assert not await signed_in(http, console)
    assert "issuer" in [r.detail.get("reason") for r in await audit_rows(sso_app)]


async def test_a_wrong_client_secret_fails_at_the_token_exchange(
    sso_app: App, console: str
) -> None:
    await new_account(sso_app, USERS["sam"]["email"])
    sso_app.settings = sso_app.settings.model_copy(
        update={"console_oidc_client_secret": SecretStr("not-the-registered-secret")}
    )
    async with httpx.AsyncClient() as http:
        refused = await through_directory(http, console, "sam")
        assert refused.status_code == 400 and "could not be checked" in refused.text
        assert not await signed_in(http, console)
    assert "token" in [r.detail.get("reason") for r in await audit_rows(sso_app)]


async def test_an_error_from_the_provider_is_shown_and_audited(sso_app: App, console: str) -> None:
    await new_account(sso_app, USERS["sam"]["email"])
    async with httpx.AsyncClient() as http:
        cancelled = await through_directory(http, console, "sam", go="abort")
        assert cancelled.status_code == 400
        assert "did not sign you in" in cancelled.text
        assert not await signed_in(http, console)
    reasons = [r.detail.get("reason") for r in await audit_rows(sso_app)]
    assert "provider_access_denied" in reasons


async def test_the_sign_in_page_shows_no_button_without_the_settings(
    settings: Settings, tmp_path: Path
) -> None:
    plain = settings.model_copy(update={"web_cookie_secure": False})
    async with open_app(plain) as app, console_client(app) as client:
        page = await client.get("/officers/sign-in")
        assert "oidc/start" not in page
        await client.get("/officers/oidc/start", status=404)
