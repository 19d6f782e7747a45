"""The officers' console: set-up, sign-in with TOTP, lock-out, sessions, roles and CSRF."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from sendbot.app import App, open_app
from sendbot.clock import FrozenClock
from sendbot.config import Settings
from sendbot.storage.models import AuditRecord, ConsoleSession, SecurityFailure
from tests.consoleclient import (
    PASSWORD,
    code,
    console_client,
    new_account,
    set_up,
    sign_in,
    signed_in_officer,
)

EMAIL = "sam.officer@testshire.gov.uk"


@pytest.fixture
async def console_app(settings: Settings, frozen_clock: FrozenClock) -> AsyncIterator[App]:
    plain = settings.model_copy(update={"web_cookie_secure": False})
    async with open_app(plain, clock=frozen_clock) as app:
        yield app


async def actions(app: App) -> list[str]:
    async with app.database.unit_of_work() as uow:
        query = select(AuditRecord.action).order_by(AuditRecord.id)
        return list((await uow.session.execute(query)).scalars())


async def test_set_up_then_sign_in_reaches_the_inbox(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    async with console_client(console_app) as client:
        path = await new_account(console_app, EMAIL)
        page = await client.get(path)
        assert "<svg" in page and 'role="img"' in page  # the QR code, inline
        secret = await set_up(client, path, frozen_clock)
        # The link is single-use.
        assert "not valid" in await client.get(path, status=404)
        response = await sign_in(client, EMAIL, secret, frozen_clock)
        assert response.status == 303 and response.headers["Location"] == "/officers"
        inbox = await client.get("/officers")
        assert "<h1>Inbox</h1>" in inbox
        assert "sign-out" in inbox
    assert {"console.account_add", "console.setup", "console.signin", "console.inbox"} <= set(
        await actions(console_app)
    )


async def test_an_expired_set_up_link_is_refused(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    async with console_client(console_app) as client:
        path = await new_account(console_app, EMAIL)
        frozen_clock.advance(timedelta(hours=console_app.settings.console_setup_hours, seconds=1))
        assert "not valid" in await client.get(path, status=404)


async def test_set_up_needs_a_right_code_and_a_long_password(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    async with console_client(console_app) as client:
        path = await new_account(console_app, EMAIL)
        page = await client.get(path)
        from tests.consoleclient import key_of

        secret = key_of(page)
        short = await client.post(path, {"password": "short", "code": code(secret, frozen_clock)})
        assert short.status == 400 and "at least 12 characters" in await short.text()
        wrong = await client.post(path, {"password": PASSWORD, "code": "000000"})
        assert wrong.status == 400 and "security code is not right" in await wrong.text()


async def test_wrong_password_code_or_email_get_one_uniform_error(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    async with console_client(console_app) as client:
        secret = await set_up(client, await new_account(console_app, EMAIL), frozen_clock)
        texts = []
        for email, password, secret_used in (
            (EMAIL, "not the password at all", secret),
            ("nobody@testshire.gov.uk", PASSWORD, secret),
            (EMAIL, PASSWORD, pyotp.random_base32()),  # another app's code
        ):
            response = await sign_in(client, email, secret_used, frozen_clock, password)
            assert response.status == 400
            text = await response.text()
            texts.append(text.split("<h1>")[0])
            assert "The email, password or security code is not right" in text
        assert "sendbot_officer=" not in str(
            client.client.session.cookie_jar.filter_cookies(client.client.make_url("/officers"))
        )


async def test_a_code_works_only_once(console_app: App, frozen_clock: FrozenClock) -> None:
    async with console_client(console_app) as client:
        secret = await set_up(client, await new_account(console_app, EMAIL), frozen_clock)
        assert (await sign_in(client, EMAIL, secret, frozen_clock)).status == 303
        await client.get("/officers")
        await client.post("/officers/sign-out", {})
        # The same code again, within its 30 seconds: refused.
        await client.get("/officers/sign-in")
        again = await client.post(
            "/officers/sign-in",
            {"email": EMAIL, "password": PASSWORD, "code": code(secret, frozen_clock)},
        )
        assert again.status == 400


async def test_repeated_failures_lock_the_email_until_the_window_passes(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    settings = console_app.settings
    async with console_client(console_app) as client:
        secret = await set_up(client, await new_account(console_app, EMAIL), frozen_clock)
        for _ in range(settings.console_signin_failures):
            response = await sign_in(client, EMAIL, secret, frozen_clock, "wrong password here")
            assert response.status == 400
        # Now even the right password and code are refused, with when to try again.
        locked = await sign_in(client, EMAIL, secret, frozen_clock)
        assert locked.status == 400 and "Too many failed sign-ins" in await locked.text()
        frozen_clock.advance(timedelta(minutes=settings.console_lockout_minutes))
        assert (await sign_in(client, EMAIL, secret, frozen_clock)).status == 303
    async with console_app.database.unit_of_work() as uow:
        query = select(func.count()).where(SecurityFailure.kind == "console")
        assert (await uow.session.execute(query)).scalar_one() == settings.console_signin_failures
    done = await actions(console_app)
    assert done.count("console.signin_failed") == settings.console_signin_failures
    assert "console.signin_locked" in done


async def test_a_flood_of_failures_alerts_officers_once(
    settings: Settings, frozen_clock: FrozenClock
) -> None:
    flood = settings.model_copy(
        update={"web_cookie_secure": False, "console_flood_failures": 3, "officers_chat_id": -100}
    )
    async with open_app(flood, clock=frozen_clock) as app, console_client(app) as client:
        for n in range(5):
            await client.get("/officers/sign-in")
            await client.post(
                "/officers/sign-in",
                {"email": f"guess{n}@example.org", "password": "x" * 12, "code": "123456"},
            )
        done = await actions(app)
    assert done.count("security.alert") == 1


async def test_a_session_ends_after_inactivity(console_app: App, frozen_clock: FrozenClock) -> None:
    async with signed_in_officer(console_app, frozen_clock, EMAIL) as client:
        await client.get("/officers")
        frozen_clock.advance(timedelta(minutes=console_app.settings.console_idle_minutes - 1))
        await client.get("/officers")  # activity keeps it alive
        frozen_clock.advance(timedelta(minutes=console_app.settings.console_idle_minutes + 1))
        response = await client.client.get("/officers", allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"] == "/officers/sign-in?ended=1"
    assert "console.session_expired" in await actions(console_app)


async def test_sign_out_everywhere_ends_every_session(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    async with console_client(console_app) as first, console_client(console_app) as second:
        secret = await set_up(first, await new_account(console_app, EMAIL), frozen_clock)
        assert (await sign_in(first, EMAIL, secret, frozen_clock)).status == 303
        assert (await sign_in(second, EMAIL, secret, frozen_clock)).status == 303
        await second.get("/officers/account")
        out = await second.post("/officers/sign-out-everywhere", {})
        assert out.status == 303
        response = await first.client.get("/officers", allow_redirects=False)
        assert response.status == 303
    async with console_app.database.unit_of_work() as uow:
        live = select(func.count()).where(ConsoleSession.ended_at.is_(None))
        assert (await uow.session.execute(live)).scalar_one() == 0


async def test_a_removed_officer_is_signed_out_at_once(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    async with signed_in_officer(console_app, frozen_clock, EMAIL) as client:
        await client.get("/officers")
        async with console_app.database.unit_of_work() as uow:
            officer = (await uow.officers.all())[-1]
            await uow.officers.remove(officer.id)
        response = await client.client.get("/officers", allow_redirects=False)
        assert response.status == 303


async def test_an_officer_gets_403_on_a_lead_page_and_a_lead_does_not(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    async with signed_in_officer(console_app, frozen_clock, EMAIL) as officer:
        text = await officer.get("/officers/audit", status=403)
        assert "You do not have access to this page" in text
    async with signed_in_officer(
        console_app, frozen_clock, "lee.lead@testshire.gov.uk", "lead"
    ) as lead:
        await lead.get("/officers/audit")
    assert "console.denied" in await actions(console_app)


async def test_every_route_declares_a_role() -> None:
    from aiohttp import web

    from sendbot.adapters.web import console
    from sendbot.adapters.web.console.guard import ROLE_ATTR

    web_app = web.Application()
    import aiohttp_jinja2
    import jinja2

    aiohttp_jinja2.setup(web_app, loader=jinja2.DictLoader({}))
    console.register(web_app, None)  # type: ignore[arg-type]
    handlers = [r.handler for r in web_app.router.routes()]
    assert handlers and all(getattr(h, ROLE_ATTR, None) for h in handlers)


async def test_posts_without_the_right_csrf_token_change_nothing(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    async with signed_in_officer(console_app, frozen_clock, EMAIL) as client:
        await client.get("/officers/account")
        forged = await client.post("/officers/sign-out-everywhere", {}, csrf="forged")
        assert forged.status == 403 and "This form has expired" in await forged.text()
        await client.get("/officers")  # still signed in
    async with console_client(console_app) as fresh:
        # The sign-in form too: a token from another browser is refused.
        response = await fresh.post(
            "/officers/sign-in", {"email": EMAIL, "password": PASSWORD, "code": "1"}, csrf="x"
        )
        assert response.status == 403


async def test_console_pages_are_not_cached_nor_framed(console_app: App) -> None:
    async with console_client(console_app) as client:
        response = await client.client.get("/officers/sign-in")
        assert response.headers["Cache-Control"] == "no-store"
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/officers" in cookie
        redirect = await client.client.get("/officers", allow_redirects=False)
        assert redirect.status == 303 and redirect.headers["Location"] == "/officers/sign-in"
