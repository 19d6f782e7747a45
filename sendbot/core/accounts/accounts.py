"""Console accounts: made by `sendbot officers add`, finished on the set-up page.

An account is an officer (the person, in `officers`) with an e-mail, a password and a
TOTP secret. `add_account` makes the officer and account if they are new and issues a
single-use set-up link that expires; following it the officer chooses a password and
proves their authenticator app with a code. Only keyed hashes of the e-mail and of the
link's token are stored; the e-mail and the TOTP secret are stored encrypted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sendbot.config import Settings
from sendbot.core import audit
from sendbot.core.accounts import passwords, totp
from sendbot.core.escalation.officers import ROLES, officer_key
from sendbot.core.keyring import Keyring
from sendbot.core.services import Services
from sendbot.storage.models import ConsoleAccount, Officer
from sendbot.storage.unit_of_work import UnitOfWork

CHANNEL = "console"
SETUP_PATH = "/officers/setup/"


def normalise_email(email: str) -> str:
    """An e-mail as compared: trimmed and lower-case."""
    return email.strip().lower()


def valid_email(email: str) -> bool:
    """Whether text looks like one e-mail address (the council's directory is the truth)."""
    local, at, domain = normalise_email(email).partition("@")
    return bool(at and local and "." in domain and " " not in email.strip() and len(email) < 255)


def email_key(keyring: Keyring, email: str) -> str:
    """The keyed hash that finds an account by e-mail."""
    return keyring.digest("console-email", normalise_email(email))


def setup_hash(keyring: Keyring, token: str) -> str:
    """The keyed hash a set-up link's token is stored as."""
    return keyring.digest("console-setup", token)


@dataclass(frozen=True)
class SetupLink:
    """A new set-up link, for `sendbot officers add` to print."""

    officer_id: int
    url: str
    expires_at: datetime


async def add_account(
    uow: UnitOfWork,
    keyring: Keyring,
    settings: Settings,
    now: datetime,
    email: str,
    role: str,
    actor: str,
) -> SetupLink:
    """Make (or renew) an officer's console account; a fresh single-use set-up link."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not valid_email(email):
        raise ValueError("that does not look like an e-mail address")
    key = email_key(keyring, email)
    account = await uow.console.account_by_email(key)
    if account is None:
        officer = await uow.officers.add(
            Officer(
                officer_key=officer_key(keyring, CHANNEL, key),
                channel=CHANNEL,
                chat_ref=None,  # a console account is a channel with no chat
                role=role,
                active=True,
                created_at=now,
            )
        )
        account = await uow.console.add_account(
            ConsoleAccount(
                officer_id=officer.id,
                email_key=key,
                email=keyring.encrypt(normalise_email(email)),
                totp_secret=keyring.encrypt(totp.new_secret()),
                created_at=now,
            )
        )
        action = "console.account_add"
    else:
        found = await uow.officers.get(account.officer_id)
        assert found is not None
        officer = found
        officer.role, officer.active = role, True
        action = "console.account_renew"
    token = secrets.token_urlsafe(32)
    account.setup_hash = setup_hash(keyring, token)
    account.setup_expires_at = now + timedelta(hours=settings.console_setup_hours)
    await audit.append(
        uow.session,
        keyring,
        actor=actor,
        action=action,
        subject_type="officer",
        subject_id=str(officer.id),
        at=now,
        detail={"role": role},
    )
    url = settings.console_url.rstrip("/") + SETUP_PATH + token
    return SetupLink(officer.id, url, account.setup_expires_at)


async def pending_setup(uow: UnitOfWork, services: Services, token: str) -> ConsoleAccount | None:
    """The account a set-up link is for, if the link is unused and not expired."""
    if not token or len(token) > 64:
        return None
    account = await uow.console.account_by_setup(setup_hash(services.keyring, token))
    if account is None or account.setup_expires_at is None:
        return None
    if account.setup_expires_at <= services.clock():
        return None
    officer = await uow.officers.get(account.officer_id)
    return account if officer is not None and officer.active else None


def setup_secret(services: Services, account: ConsoleAccount) -> str:
    """The account's TOTP secret, for the set-up page."""
    secret = services.keyring.reveal(account.totp_secret)
    if secret is None:
        raise ValueError("the account's second factor cannot be read with this key")
    return secret


def account_email(services: Services, account: ConsoleAccount) -> str:
    """The account's e-mail (for the authenticator app's label and the officer's own page)."""
    return services.keyring.reveal(account.email) or ""


async def finish_setup(
    uow: UnitOfWork, services: Services, account: ConsoleAccount, password: str, code: str
) -> str | None:
    """Set the password once the code proves the app; why not (a sentence) or None if done."""
    refused = passwords.problem(password)
    if refused is not None:
        return refused
    now = services.clock()
    step = totp.matching_step(setup_secret(services, account), code, now, account.totp_last_step)
    if step is None:
        return "The security code is not right: enter the 6 digits your app shows now"
    account.password_hash = await passwords.hash_password(password)
    account.totp_last_step = step
    account.setup_hash = None
    account.setup_expires_at = None
    account.set_up_at = now
    await uow.console.end_sessions(account.id, now)
    await audit.append(
        uow.session,
        services.keyring,
        actor=f"officer:{account.officer_id}",
        action="console.setup",
        subject_type="officer",
        subject_id=str(account.officer_id),
        at=now,
    )
    return None
