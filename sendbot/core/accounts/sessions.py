"""Signing in and out of the console, and the sessions that result, all in the database.

A session is a random token in the browser's cookie, stored only as a keyed hash; it
ends on sign-out, on "sign out everywhere", after SENDBOT_CONSOLE_IDLE_MINUTES without a
request, after SENDBOT_CONSOLE_SESSION_HOURS in all, and at once when the officer is
removed (every request reads the officer's state).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sendbot.core import audit
from sendbot.core.accounts import lockout, passwords, totp
from sendbot.core.accounts.accounts import email_key
from sendbot.core.services import Services
from sendbot.storage.models import ConsoleAccount, ConsoleSession, Officer
from sendbot.storage.unit_of_work import UnitOfWork

TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SignedIn:
    """A live session: the token's hash, the account and the officer it belongs to."""

    session: ConsoleSession
    account: ConsoleAccount
    officer: Officer


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: a new session's token, or why not ("wrong", "locked")."""

    token: str | None = None
    refused: str | None = None
    until: datetime | None = None


def token_hash(services: Services, token: str) -> str:
    """The keyed hash a session token is stored as."""
    return services.keyring.digest("console-session", token)


def csrf_token(services: Services, token: str) -> str:
    """The CSRF token bound to one session (a keyed hash for that one purpose)."""
    return services.keyring.digest("console-csrf", token)[:48]


async def sign_in(
    uow: UnitOfWork, services: Services, email: str, password: str, code: str
) -> SignIn:
    """Check e-mail, password and code; a session, or one uniform refusal."""
    now = services.clock()
    key = email_key(services.keyring, email)
    until = await lockout.paused_until(uow, services, key, now)
    if until is not None:
        await audit.append(
            uow.session,
            services.keyring,
            actor="unknown",
            action="console.signin_locked",
            subject_type="account",
            subject_id=key[:16],
            at=now,
        )
        return SignIn(refused="locked", until=until)
    account = await uow.console.account_by_email(key)
    stored = account.password_hash if account is not None else None
    if not await passwords.password_matches(stored, password):
        await lockout.record_failure(uow, services, key, now, "password")
        return SignIn(refused="wrong")
    assert account is not None
    officer = await second_factor(uow, services, account, code, now)
    if officer is None:
        return SignIn(refused="wrong")
    return SignIn(token=await open_session(uow, services, account, officer))


async def second_factor(
    uow: UnitOfWork, services: Services, account: ConsoleAccount, code: str, now: datetime
) -> Officer | None:
    """The account's active officer if the security code is right (each code once); else
    the failure is counted toward the lock-out and None."""
    officer = await uow.officers.get(account.officer_id)
    secret = services.keyring.reveal(account.totp_secret)
    step = totp.matching_step(secret, code, now, account.totp_last_step) if secret else None
    if step is None or officer is None or not officer.active:
        reason = "code" if step is None else "removed"
        await lockout.record_failure(uow, services, account.email_key, now, reason)
        return None
    account.totp_last_step = step
    return officer


async def open_session(
    uow: UnitOfWork,
    services: Services,
    account: ConsoleAccount,
    officer: Officer,
    **detail: object,
) -> str:
    """Start a signed-in session for an officer who has proved who they are; its token."""
    now = services.clock()
    token = secrets.token_urlsafe(32)
    await uow.console.add_session(
        ConsoleSession(
            token_hash=token_hash(services, token),
            account_id=account.id,
            created_at=now,
            last_seen_at=now,
        )
    )
    await _audit(uow, services, officer, "console.signin", now, **detail)
    return token


async def current(uow: UnitOfWork, services: Services, token: str) -> SignedIn | None:
    """The live session a token opens, touched now; None (and ended) if it has expired."""
    if not token or len(token) > 64:
        return None
    found = await uow.console.live_session(token_hash(services, token))
    if found is None:
        return None
    session, account, officer = found
    now = services.clock()
    settings = services.settings
    idle = now - session.last_seen_at > timedelta(minutes=settings.console_idle_minutes)
    old = now - session.created_at > timedelta(hours=settings.console_session_hours)
    if idle or old or not officer.active:
        session.ended_at = now
        reason = "removed" if not officer.active else ("idle" if idle else "age")
        await _audit(uow, services, officer, "console.session_expired", now, reason=reason)
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:  # one write a minute, not one a request
        session.last_seen_at = now
    return SignedIn(session, account, officer)


async def sign_out(
    uow: UnitOfWork, services: Services, signed_in: SignedIn, everywhere: bool = False
) -> int:
    """End this session, or every session of the account; how many ended."""
    now = services.clock()
    if everywhere:
        ended = await uow.console.end_sessions(signed_in.account.id, now)
    else:
        signed_in.session.ended_at = now
        ended = 1
    action = "console.signout_everywhere" if everywhere else "console.signout"
    await _audit(uow, services, signed_in.officer, action, now, sessions=ended)
    return ended


async def _audit(
    uow: UnitOfWork,
    services: Services,
    officer: Officer,
    action: str,
    now: datetime,
    **detail: object,
) -> None:
    """Write one sign-in event to the audit log."""
    await audit.append(
        uow.session,
        services.keyring,
        actor=f"officer:{officer.id}",
        action=action,
        subject_type="officer",
        subject_id=str(officer.id),
        at=now,
        detail=dict(detail),
    )
