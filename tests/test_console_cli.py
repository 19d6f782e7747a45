"""`sendbot officers add` to a signed-in console, `officers remove` signing them out, the bench."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sendbot.app import App, open_app
from sendbot.bench.console import format_table, run
from sendbot.clock import FrozenClock
from sendbot.config import Settings
from tests.consoleclient import console_client, set_up, sign_in
from tests.test_officers_cli import cli_env, sendbot

EMAIL = "Sam.Officer@Testshire.gov.uk"


@pytest.fixture
async def console_app(settings: Settings, frozen_clock: FrozenClock) -> AsyncIterator[App]:
    plain = settings.model_copy(update={"web_cookie_secure": False})
    async with open_app(plain, clock=frozen_clock) as app:
        yield app


async def test_officers_add_prints_a_link_that_sets_up_a_console_account(
    env_for_cli: dict[str, str], settings: Settings, console_app: App, frozen_clock: FrozenClock
) -> None:
    env = cli_env(env_for_cli, settings)
    added = sendbot(env, "officers", "add", EMAIL, "--role", "lead")
    assert added.returncode == 0, added.stderr
    link = added.stdout.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8080/officers/setup/") and " " not in link
    async with console_client(console_app) as client:
        path = link.removeprefix("http://127.0.0.1:8080")
        secret = await set_up(client, path, frozen_clock)
        # Any capitalisation of the e-mail signs in.
        assert (await sign_in(client, EMAIL.lower(), secret, frozen_clock)).status == 303
        await client.get("/officers/reports")  # a lead
        listed = sendbot(env, "officers", "list")
        number = next(line.split()[0] for line in listed.stdout.splitlines() if " lead " in line)
        removed = sendbot(env, "officers", "remove", number)
        assert removed.returncode == 0, removed.stderr
        response = await client.client.get("/officers", allow_redirects=False)
        assert response.status == 303 and "ended=1" in response.headers["Location"]


def test_officers_add_refuses_what_is_not_an_email(env_for_cli: dict[str, str]) -> None:
    refused = sendbot(env_for_cli, "officers", "add", "not an email")
    assert refused.returncode == 2 and "e-mail" in refused.stderr


async def test_the_console_bench_runs_small(settings: Settings) -> None:
    result = await run(settings, tickets=120, rounds=2)
    assert result["tickets"] == 120 and result["lead_inbox"]["bytes"] > 1000
    assert "lead_inbox" in format_table(result)
