"""Signing in to the console through the council's directory (OpenID Connect).

A sign-in begun here is a row in the database (any process may finish it): the keyed
hash of its `state`, the keyed hash of a random value in the browser's cookie that
binds it to that browser, and its nonce and PKCE verifier encrypted. It is used once and
expires after LOGIN_MINUTES. The directory's identity is accepted only for an existing,
active console account: the (issuer, subject) pair it was linked to, or, the first time,
the account whose e-mail equals the ID token's verified e-mail. Then the console's MFA
rule: the directory asserted MFA (`amr`), or the officer enters their security code.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sendbot.core import audit
from sendbot.core.accounts import lockout
from sendbot.core.accounts.accounts import email_key
from sendbot.core.accounts.directory import Identity
from sendbot.core.accounts.sessions import SignIn, open_session, second_factor
from sendbot.core.services import Services
from sendbot.storage.models import ConsoleAccount, Officer, OidcIdentity, OidcLogin
from sendbot.storage.unit_of_work import UnitOfWork

LOGIN_MINUTES = 10
CODE_MINUTES = 5
VIA = "oidc"


@dataclass(frozen=True)
class Begun:
    """A sign-in just begun: what goes to the directory and into the browser's cookie."""

    state: str
    nonce: str
    code_verifier: str
    browser: str


@dataclass(frozen=True)
class Pending:
    """A pending sign-in taken (once) by the directory's answer."""

    login: OidcLogin
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class Accepted:
    """The outcome of the directory's answer: a session, a code to ask for, or a refusal."""

    token: str | None = None
    needs_code: bool = False
    refused: str | None = None


def state_hash(services: Services, state: str) -> str:
    """The keyed hash a sign-in's state is stored as."""
    return services.keyring.digest("console-oidc-state", state)


def browser_hash(services: Services, browser: str) -> str:
    """The keyed hash of the browser-binding cookie's value."""
    return services.keyring.digest("console-oidc-browser", browser)


def identity_key(services: Services, issuer: str, subject: str) -> str:
    """The keyed hash that finds a linked (issuer, subject) identity."""
    return services.keyring.digest("console-oidc-subject", f"{issuer}\n{subject}")


async def begin(uow: UnitOfWork, services: Services, browser: str | None) -> Begun:
    """Begin a sign-in for this browser (a fresh binding value unless it has one)."""
    now = services.clock()
    browser = browser or secrets.token_urlsafe(32)
    begun = Begun(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(64),  # 86 characters: RFC 7636 asks 43 to 128
        browser=browser,
    )
    await uow.oidc.drop_expired(now)
    await uow.oidc.add_login(
        OidcLogin(
            state_hash=state_hash(services, begun.state),
            browser_hash=browser_hash(services, browser),
            nonce=services.keyring.encrypt(begun.nonce),
            code_verifier=services.keyring.encrypt(begun.code_verifier),
            created_at=now,
            expires_at=now + timedelta(minutes=LOGIN_MINUTES),
        )
    )
    return begun


async def take(uow: UnitOfWork, services: Services, state: str, browser: str) -> Pending | None:
    """The pending sign-in this state and browser began, used up now; None if not valid."""
    if not state or not browser or len(state) > 128 or len(browser) > 64:
        return None
    now = services.clock()
    login = await uow.oidc.take_login(
        state_hash(services, state), browser_hash(services, browser), now
    )
    if login is None:
        return None
    nonce = services.keyring.reveal(login.nonce)
    verifier = services.keyring.reveal(login.code_verifier)
    if nonce is None or verifier is None:
        return None
    return Pending(login, nonce, verifier)


def mfa_asserted(services: Services, identity: Identity) -> bool:
    """Whether the directory says it did multi-factor authentication."""
    wanted = {v.strip() for v in services.settings.console_oidc_mfa_values.split(",")}
    return bool((wanted - {""}) & set(identity.amr))


async def _account_for(
    uow: UnitOfWork, services: Services, identity: Identity
) -> tuple[ConsoleAccount, Officer] | str:
    """The active account this identity is (or now becomes) linked to; or why not."""
    now = services.clock()
    key = identity_key(services, identity.issuer, identity.subject)
    linked = await uow.oidc.identity(key)
    if linked is not None:
        account = await uow.console.account(linked.account_id)
    else:
        trusted = identity.email_verified or services.settings.console_oidc_trust_email
        if not identity.email or not trusted:
            return "no_verified_email"
        account = await uow.console.account_by_email(email_key(services.keyring, identity.email))
        if account is None:
            return "unknown"
        if await uow.oidc.identity_of(account.id, identity.issuer) is not None:
            return "linked_to_another"  # the e-mail now names someone else in the directory
    if account is None:
        return "unknown"
    officer = await uow.officers.get(account.officer_id)
    if officer is None or not officer.active:
        return "removed"
    if linked is None:
        linked = await uow.oidc.link(
            OidcIdentity(
                identity_key=key, account_id=account.id, issuer=identity.issuer, linked_at=now
            )
        )
        await _audit(uow, services, f"officer:{officer.id}", "console.oidc_link", officer.id)
    linked.last_used_at = now
    return account, officer


async def accept(
    uow: UnitOfWork, services: Services, pending: Pending, identity: Identity
) -> Accepted:
    """Accept the directory's identity for an account: a session, a code to ask, or no."""
    key = identity_key(services, identity.issuer, identity.subject)
    mode = services.settings.console_oidc_second_factor
    mfa = mfa_asserted(services, identity)
    if mode == "provider" and not mfa:  # before any account is looked at: reveals nothing
        await refuse(uow, services, "no_mfa", key)
        return Accepted(refused="no_mfa")
    found = await _account_for(uow, services, identity)
    if isinstance(found, str):
        await refuse(uow, services, found, key)
        return Accepted(refused="unknown")
    account, officer = found
    if mfa and mode != "code":
        token = await open_session(uow, services, account, officer, via=VIA, mfa="directory")
        pending.login.done_at = services.clock()
        return Accepted(token=token)
    if account.set_up_at is None:  # no proven authenticator app to ask a code of
        await refuse(uow, services, "not_set_up", f"officer:{officer.id}")
        return Accepted(refused="unknown")
    pending.login.account_id = account.id
    pending.login.expires_at = services.clock() + timedelta(minutes=CODE_MINUTES)
    return Accepted(needs_code=True)


async def awaiting_code(uow: UnitOfWork, services: Services, browser: str) -> OidcLogin | None:
    """This browser's accepted sign-in that still needs its security code."""
    if not browser or len(browser) > 64:
        return None
    return await uow.oidc.awaiting_code(browser_hash(services, browser), services.clock())


async def finish_with_code(
    uow: UnitOfWork, services: Services, login: OidcLogin, code: str
) -> SignIn:
    """Check the security code after the directory's sign-in: a session, or why not."""
    now = services.clock()
    account = await uow.console.account(login.account_id or 0)
    if account is None:
        return SignIn(refused="wrong")
    until = await lockout.paused_until(uow, services, account.email_key, now)
    if until is not None:
        return SignIn(refused="locked", until=until)
    officer = await second_factor(uow, services, account, code, now)
    if officer is None:
        return SignIn(refused="wrong")
    login.done_at = now
    token = await open_session(uow, services, account, officer, via=VIA, mfa="code")
    return SignIn(token=token)


async def refuse(uow: UnitOfWork, services: Services, reason: str, subject: str) -> None:
    """Audit a refused single sign-on (the reason and a hash or officer, never an e-mail)."""
    await audit.append(
        uow.session,
        services.keyring,
        actor=subject if subject.startswith("officer:") else "unknown",
        action="console.oidc_refused",
        subject_type="oidc",
        subject_id=subject[:24],
        at=services.clock(),
        detail={"reason": reason},
    )


async def _audit(
    uow: UnitOfWork, services: Services, actor: str, action: str, officer_id: int
) -> None:
    await audit.append(
        uow.session,
        services.keyring,
        actor=actor,
        action=action,
        subject_type="officer",
        subject_id=str(officer_id),
        at=services.clock(),
    )
