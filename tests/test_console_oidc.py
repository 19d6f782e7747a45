"""Single sign-on's pieces on a real SQLite file: pending sign-ins, identities, MFA, tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, generate_key
from pydantic import SecretStr
from sqlalchemy import select

from sendbot.app import App, open_app
from sendbot.clock import FrozenClock
from sendbot.config import Settings
from sendbot.core.accounts import oidc
from sendbot.core.accounts.directory import DirectoryError, Identity, validate_id_token
from sendbot.storage.models import AuditRecord, ConsoleAccount, OidcIdentity, OidcLogin
from tests.consoleclient import console_client, new_account, set_up
from tests.webbrowser import free_port

ISSUER = "https://login.example.test/tenant/v2.0"
CLIENT = "console-client"
EMAIL = "sam.officer@testshire.gov.uk"
BROWSER = "b" * 43


@pytest.fixture
async def sso_app(settings: Settings, frozen_clock: FrozenClock) -> AsyncIterator[App]:
    configured = settings.model_copy(
        update={
            "web_cookie_secure": False,
            "console_oidc_issuer": ISSUER,
            "console_oidc_client_id": CLIENT,
            "console_oidc_client_secret": SecretStr("not-logged-secret-value"),
        }
    )
    async with open_app(configured, clock=frozen_clock) as app:
        yield app


def person(
    subject: str = "subject-1",
    email: str | None = "Sam.Officer@TESTSHIRE.gov.uk",
    verified: bool = True,
    amr: tuple[str, ...] = ("pwd", "mfa"),
) -> Identity:
    return Identity(ISSUER, subject, email, verified, amr)


async def begun_and_taken(app: App, identity: Identity, **settings: object) -> oidc.Accepted:
    """Begin a sign-in, take it back, and accept an identity for it."""
    app.services.settings = app.settings.model_copy(update=settings)
    async with app.database.unit_of_work() as uow:
        begun = await oidc.begin(uow, app.services, BROWSER)
        pending = await oidc.take(uow, app.services, begun.state, BROWSER)
        assert pending is not None
        return await oidc.accept(uow, app.services, pending, identity)


async def audit_rows(app: App) -> list[AuditRecord]:
    async with app.database.unit_of_work() as uow:
        return list((await uow.session.execute(select(AuditRecord))).scalars())


async def test_a_pending_sign_in_is_used_once_by_its_own_browser_only(sso_app: App) -> None:
    async with sso_app.database.unit_of_work() as uow:
        begun = await oidc.begin(uow, sso_app.services, None)
    assert len(begun.browser) == 43 and len(begun.code_verifier) >= 43
    async with sso_app.database.unit_of_work() as uow:
        assert await oidc.take(uow, sso_app.services, begun.state, BROWSER) is None
        assert await oidc.take(uow, sso_app.services, "forged", begun.browser) is None
    async with sso_app.database.unit_of_work() as uow:
        pending = await oidc.take(uow, sso_app.services, begun.state, begun.browser)
        assert pending is not None
        assert (pending.nonce, pending.code_verifier) == (begun.nonce, begun.code_verifier)
        # Stored as hashes and ciphertext, never as the values themselves.
        stored = pending.login
        assert begun.state not in stored.state_hash and begun.nonce != stored.nonce
        assert begun.code_verifier != stored.code_verifier
    async with sso_app.database.unit_of_work() as uow:
        assert await oidc.take(uow, sso_app.services, begun.state, begun.browser) is None


async def test_a_pending_sign_in_expires(sso_app: App, frozen_clock: FrozenClock) -> None:
    async with sso_app.database.unit_of_work() as uow:
        begun = await oidc.begin(uow, sso_app.services, BROWSER)
        fresh = await oidc.begin(uow, sso_app.services, BROWSER)
    frozen_clock.advance(timedelta(minutes=oidc.LOGIN_MINUTES, seconds=1))
    async with sso_app.database.unit_of_work() as uow:
        assert await oidc.take(uow, sso_app.services, begun.state, BROWSER) is None
        await oidc.begin(uow, sso_app.services, BROWSER)  # drops expired sign-ins
    async with sso_app.database.unit_of_work() as uow:
        assert await oidc.take(uow, sso_app.services, fresh.state, BROWSER) is None


async def test_a_verified_email_links_once_then_the_subject_finds_the_account(
    sso_app: App,
) -> None:
    await new_account(sso_app, EMAIL)
    first = await begun_and_taken(sso_app, person())
    assert first.token is not None
    # The directory's e-mail changes later: the (issuer, subject) link still finds them.
    again = await begun_and_taken(sso_app, person(email="sam.new@testshire.gov.uk"))
    assert again.token is not None
    async with sso_app.database.unit_of_work() as uow:
        links = list((await uow.session.execute(select(OidcIdentity))).scalars())
    assert len(links) == 1 and links[0].issuer == ISSUER
    assert "subject-1" not in links[0].identity_key


@pytest.mark.parametrize(
    ("identity", "reason"),
    [
        (person(email="nobody@testshire.gov.uk"), "unknown"),
        (person(verified=False), "no_verified_email"),
        (person(email=None), "no_verified_email"),
    ],
)
async def test_no_account_is_made_for_an_unknown_or_unverified_identity(
    sso_app: App, identity: Identity, reason: str
) -> None:
    await new_account(sso_app, EMAIL)
    accepted = await begun_and_taken(sso_app, identity)
    assert accepted == oidc.Accepted(refused="unknown")
    rows = await audit_rows(sso_app)
    refused = [r for r in rows if r.action == "console.oidc_refused"]
    assert [r.detail for r in refused] == [{"reason": reason}]
    assert "testshire" not in repr([(r.actor, r.subject_id, r.detail) for r in rows])
    async with sso_app.database.unit_of_work() as uow:
        assert list((await uow.session.execute(select(OidcIdentity))).scalars()) == []


async def test_an_unverified_email_is_trusted_only_when_the_setting_says(sso_app: App) -> None:
    await new_account(sso_app, EMAIL)
    trusted = await begun_and_taken(sso_app, person(verified=False), console_oidc_trust_email=True)
    assert trusted.token is not None


async def test_a_second_subject_for_a_linked_account_and_a_removed_officer_are_refused(
    sso_app: App,
) -> None:
    await new_account(sso_app, EMAIL)
    assert (await begun_and_taken(sso_app, person())).token is not None
    other = await begun_and_taken(sso_app, person(subject="someone-else"))
    assert other.refused == "unknown"
    async with sso_app.database.unit_of_work() as uow:
        officer = (await uow.officers.all())[-1]
        await uow.officers.remove(officer.id)
    assert (await begun_and_taken(sso_app, person())).refused == "unknown"
    reasons = [r.detail.get("reason") for r in await audit_rows(sso_app)]
    assert "linked_to_another" in reasons and "removed" in reasons


async def test_the_mfa_rule_directory_or_security_code(
    sso_app: App, frozen_clock: FrozenClock
) -> None:
    async with console_client(sso_app) as client:
        await set_up(client, await new_account(sso_app, EMAIL), frozen_clock)
    no_mfa = person(amr=("pwd",))
    assert (await begun_and_taken(sso_app, person())).token is not None
    assert await begun_and_taken(sso_app, no_mfa) == oidc.Accepted(needs_code=True)
    # "code": the security code even after the directory's MFA.
    coded = await begun_and_taken(sso_app, person(), console_oidc_second_factor="code")
    assert coded.needs_code
    # "provider": the directory's MFA or nothing.
    strict = await begun_and_taken(sso_app, no_mfa, console_oidc_second_factor="provider")
    assert strict.refused == "no_mfa"
    # Other amr words can mean MFA (e.g. a directory that says "otp").
    custom = await begun_and_taken(
        sso_app, person(amr=("otp",)), console_oidc_second_factor="either",
        console_oidc_mfa_values="otp, hwk",
    )  # fmt: skip
    assert custom.token is not None


async def test_the_security_code_is_needed_from_an_account_never_set_up(sso_app: App) -> None:
    await new_account(sso_app, EMAIL)  # set-up link not followed: no proven app
    assert (await begun_and_taken(sso_app, person(amr=("pwd",)))).refused == "unknown"
    assert (await begun_and_taken(sso_app, person())).token is not None


async def test_the_code_step_belongs_to_the_browser_and_expires(
    sso_app: App, frozen_clock: FrozenClock
) -> None:
    async with console_client(sso_app) as client:
        await set_up(client, await new_account(sso_app, EMAIL), frozen_clock)
    assert (await begun_and_taken(sso_app, person(amr=()))).needs_code
    async with sso_app.database.unit_of_work() as uow:
        assert await oidc.awaiting_code(uow, sso_app.services, "c" * 43) is None
        login = await oidc.awaiting_code(uow, sso_app.services, BROWSER)
        assert login is not None and login.account_id is not None
        account = await uow.session.get(ConsoleAccount, login.account_id)
        assert account is not None
    frozen_clock.advance(timedelta(minutes=oidc.CODE_MINUTES, seconds=1))
    async with sso_app.database.unit_of_work() as uow:
        assert await oidc.awaiting_code(uow, sso_app.services, BROWSER) is None


def signed(claims: dict[str, Any], key: Any) -> str:
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


@pytest.fixture(scope="module")
def keys() -> tuple[Any, dict[str, Any], Any]:
    key = generate_key("RSA", 2048, parameters={"kid": "k1"})
    other = generate_key("RSA", 2048, parameters={"kid": "k1"})
    return key, dict(KeySet([key]).as_dict(private=False)), other


def test_an_id_token_is_checked_by_signature_issuer_audience_expiry_and_nonce(
    frozen_clock: FrozenClock, keys: tuple[Any, dict[str, Any], Any]
) -> None:
    key, jwks, other = keys
    now = int(frozen_clock().timestamp())
    good = {"iss": ISSUER, "sub": "s", "aud": CLIENT, "exp": now + 300, "iat": now, "nonce": "n1"}
    metadata = {"issuer": ISSUER, "id_token_signing_alg_values_supported": ["RS256"]}

    def check(claims: dict[str, Any], signer: Any = key, nonce: str = "n1") -> Any:
        return validate_id_token(
            signed(claims, signer), jwks, metadata, client_id=CLIENT, nonce=nonce,
            now=frozen_clock(),
        )  # fmt: skip

    assert check(good)["sub"] == "s"
    bad = [
        ({**good, "iss": "https://elsewhere.test"}, key, "n1"),
        ({**good, "aud": "another-client"}, key, "n1"),
        ({**good, "exp": now - 3600}, key, "n1"),
        ({k: v for k, v in good.items() if k != "exp"}, key, "n1"),
        ({**good}, key, "another-nonce"),
        ({k: v for k, v in good.items() if k != "nonce"}, key, "n1"),
        ({**good}, other, "n1"),  # signed with a key not in the JWKS
    ]
    for claims, signer, nonce in bad:
        with pytest.raises(DirectoryError) as refused:
            check(claims, signer, nonce)
        assert refused.value.reason == "token"
    with pytest.raises(DirectoryError):
        validate_id_token(
            jwt.encode({"alg": "HS256"}, good, generate_key("oct", 256)),
            jwks, metadata, client_id=CLIENT, nonce="n1", now=frozen_clock(),
        )  # fmt: skip


def test_nothing_changes_when_unset_and_the_secret_is_never_shown(settings: Settings) -> None:
    assert not settings.console_oidc_enabled
    configured = settings.model_copy(
        update={
            "console_oidc_issuer": ISSUER,
            "console_oidc_client_id": CLIENT,
            "console_oidc_client_secret": SecretStr("not-logged-secret-value"),
        }
    )
    assert configured.console_oidc_enabled
    assert "not-logged-secret-value" not in repr(configured) + str(configured)


async def test_an_unreachable_directory_gets_a_clear_page_and_nothing_begun_is_used(
    settings: Settings, frozen_clock: FrozenClock
) -> None:
    closed = settings.model_copy(
        update={
            "web_cookie_secure": False,
            "console_oidc_issuer": f"http://127.0.0.1:{free_port()}",
            "console_oidc_client_id": CLIENT,
            "console_oidc_client_secret": SecretStr("not-logged-secret-value"),
            "console_oidc_button": "Sign in with Microsoft",
        }
    )
    async with open_app(closed, clock=frozen_clock) as app, console_client(app) as client:
        page = await client.get("/officers/sign-in")
        assert 'href="/officers/oidc/start">Sign in with Microsoft</a>' in page
        text = await client.get("/officers/oidc/start", status=502)
        assert "could not be reached" in text
        reasons = [r.detail.get("reason") for r in await audit_rows(app)]
        assert reasons == ["unavailable"]


async def test_two_processes_racing_for_one_answer_sign_in_once(
    settings: Settings, frozen_clock: FrozenClock, database_url: str
) -> None:
    shared = settings.model_copy(update={"database_url": database_url})
    async with open_app(shared, clock=frozen_clock) as app:
        async with app.database.unit_of_work() as uow:
            begun = await oidc.begin(uow, app.services, BROWSER)

        async def take() -> bool:
            async with app.database.unit_of_work() as uow:
                return await oidc.take(uow, app.services, begun.state, BROWSER) is not None

        results = await asyncio.gather(*(take() for _ in range(4)))
    assert sorted(results) == [False, False, False, True]


async def test_starting_single_sign_on_is_rate_limited_per_address(settings: Settings) -> None:
    limited = settings.model_copy(
        update={
            "web_cookie_secure": False,
            "web_rate_ip": "2/minute",
            "console_oidc_issuer": f"http://127.0.0.1:{free_port()}",  # nobody listens
            "console_oidc_client_id": "sendbot",
            "console_oidc_client_secret": SecretStr("a client secret"),
        }
    )
    async with open_app(limited) as app, console_client(app) as client:
        for _ in range(2):  # the directory cannot be reached: said kindly
            assert "could not be reached" in await client.get("/officers/oidc/start", status=502)
        page = await client.get("/officers/oidc/start", status=429)
        assert "Too many sign-ins" in page
        async with app.database.unit_of_work() as uow:
            started = (await uow.session.execute(select(OidcLogin))).scalars().all()
        assert len(started) == 2  # the third start wrote nothing
