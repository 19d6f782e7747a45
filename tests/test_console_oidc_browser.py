"""Single sign-on in a real browser (the system's Chromium) against a local oidc-provider.

The provider is on http://localhost, the console on http://127.0.0.1: different sites to
the browser, as a council's directory is, so SameSite cookies behave as they will live.
An officer clicks "Sign in with ...", signs in at the provider and lands in the inbox
(the directory asserted MFA), or enters their security code first (it did not); a
stranger gets the kind refusal. Every console page on the way is scanned by axe-core.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pyotp
import pytest

from sendbot.core.accounts.accounts import add_account
from sendbot.core.accounts.directory import CALLBACK_PATH
from tests.oidcprovider import USERS, local_provider, missing_provider
from tests.webbrowser import (
    Servers,
    accessible,
    browser_settings,
    chromium,
    console_page,
    missing_tools,
    serving,
)

REASON = missing_tools() or missing_provider()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
PASSWORD = "a long and memorable pass phrase"
BUTTON = "Sign in with Testshire account"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    root = tmp_path_factory.mktemp("oidcbrowser")
    with contextlib.ExitStack() as stack:

        def origins(running: Servers) -> dict[str, Any]:
            callback = running.chat_origin + CALLBACK_PATH
            provider = stack.enter_context(local_provider(root, callback))
            return {"console_url": running.chat_origin, **provider.settings()}

        with serving(browser_settings(root), origins) as up:
            yield up


@pytest.fixture(scope="module")
def browser(servers: Servers) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def account(servers: Servers, email: str) -> str:
    """A new console account; its set-up link."""
    app = servers.app
    assert app is not None

    async def make() -> str:
        async with app.database.unit_of_work() as uow:
            made = await add_account(
                uow, app.services.keyring, app.settings, app.services.clock(), email, "officer",
                "cli:test",
            )  # fmt: skip
        return made.url

    return servers.call(make())


def at_the_directory(servers: Servers, page: Any, login: str) -> None:
    """From the sign-in page, through the provider's form as `login`."""
    page.goto(servers.chat_origin + "/officers/sign-in")
    page.get_by_role("heading", name="Sign in", exact=True).wait_for()
    accessible(page)
    page.get_by_role("link", name=BUTTON).click()
    page.get_by_role("heading", name="Test directory sign-in").wait_for()
    assert page.url.startswith("http://localhost:")
    page.get_by_label("Username").fill(login)
    page.get_by_label("Password").fill("anything")
    page.get_by_role("button", name="Sign in to the directory").click()


def test_directory_mfa_lands_in_the_inbox(servers: Servers, browser: Any) -> None:
    account(servers, USERS["sam"]["email"])
    page = console_page(browser)
    at_the_directory(servers, page, "sam")
    page.get_by_role("heading", name="Inbox").wait_for()
    assert page.url == servers.chat_origin + "/officers"
    accessible(page)
    page.context.close()


def test_without_directory_mfa_the_security_code_comes_first(
    servers: Servers, browser: Any
) -> None:
    page = console_page(browser)
    page.goto(account(servers, USERS["pat"]["email"]))
    page.get_by_role("heading", name="Set up your account").wait_for()
    totp = pyotp.TOTP(page.locator("#setup-key").inner_text().replace(" ", ""))
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Security code").fill(totp.now())
    page.get_by_role("button", name="Set up account").click()
    page.get_by_role("heading", name="Sign in", exact=True).wait_for()
    at_the_directory(servers, page, "pat")
    page.get_by_role("heading", name="Enter your security code").wait_for()
    accessible(page)
    assert servers.app is not None
    later = servers.app.services.clock() + timedelta(seconds=30)  # each code works once
    page.get_by_label("Security code").fill(totp.at(later))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Inbox").wait_for()
    page.context.close()


def test_a_stranger_is_told_kindly_and_not_signed_in(servers: Servers, browser: Any) -> None:
    page = console_page(browser)
    at_the_directory(servers, page, "stranger")
    page.get_by_role("heading", name="This account is not set up for the console").wait_for()
    accessible(page)
    page.goto(servers.chat_origin + "/officers")
    page.get_by_role("heading", name="Sign in", exact=True).wait_for()
    page.context.close()
