"""Officers (people reached through channels): invites, joining, roles, how they are shown."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sendbot.core import audit
from sendbot.core.escalation.references import invite_hash, new_invite_code, normalise_invite
from sendbot.core.keyring import Keyring
from sendbot.core.messages import Inbound
from sendbot.core.services import Services
from sendbot.storage.models import Officer, Ticket
from sendbot.storage.officer_repository import officer_actor
from sendbot.storage.unit_of_work import UnitOfWork

ROLES = ("officer", "lead")


def officer_key(keyring: Keyring, channel: str, user_id: str) -> str:
    """The keyed hash that finds an officer by their own id (never stored in the clear)."""
    return keyring.digest("officer", f"{channel}:{user_id}")


async def issue_invite(
    uow: UnitOfWork, keyring: Keyring, role: str, now: datetime, days: int
) -> tuple[str, datetime]:
    """A new single-use invite code for a role, stored only hashed; (code, expiry)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    code = new_invite_code()
    normalised = normalise_invite(code)
    assert normalised is not None
    expires = now + timedelta(days=days)
    await uow.officers.add_invite(invite_hash(keyring, normalised), role, now, expires)
    return code, expires


async def remove(
    uow: UnitOfWork, keyring: Keyring, officer_id: int, actor: str, now: datetime
) -> int | None:
    """Remove an officer: their open tickets go back unclaimed and every console session
    they have ends at once; audited. How many tickets were released, or None if unknown."""
    released = await uow.officers.remove(officer_id)
    if released is None:
        return None
    account = await uow.console.account_of(officer_id)
    if account is not None:
        await uow.console.end_sessions(account.id, now)
    await audit.append(
        uow.session,
        keyring,
        actor=actor,
        action="officer.remove",
        subject_type="officer",
        subject_id=str(officer_id),
        at=now,
        detail={"released": released},
    )
    return released


async def join(
    uow: UnitOfWork, keyring: Keyring, inbound: Inbound, code_text: str, now: datetime
) -> Officer | None:
    """Make the sender an officer with a valid invite code; None for any bad code."""
    normalised = normalise_invite(code_text)
    if normalised is None or not inbound.private:
        return None
    invite = await uow.officers.use_invite(invite_hash(keyring, normalised), now)
    if invite is None:
        return None
    key = officer_key(keyring, inbound.channel, inbound.sender_id)
    chat_ref = keyring.encrypt(inbound.chat_id)
    channel = await uow.officers.channel_by_key(key)
    officer = await uow.officers.get(channel.officer_id) if channel is not None else None
    if channel is None or officer is None:
        officer = await uow.officers.add(
            Officer(
                officer_key=key,
                channel=inbound.channel,
                chat_ref=chat_ref,
                role=invite.role,
                active=True,
                created_at=now,
            )
        )
    else:
        officer.role, officer.active = invite.role, True
        channel.chat_ref = chat_ref
    invite.officer_id = officer.id
    await audit.append(
        uow.session,
        keyring,
        actor=officer_actor(officer.id),
        action="officer.join",
        subject_type="officer",
        subject_id=str(officer.id),
        at=now,
        detail={"role": officer.role},
    )
    return officer


async def officer_for(uow: UnitOfWork, keyring: Keyring, inbound: Inbound) -> Officer | None:
    """The active officer who sent a message, if the sender is one."""
    key = officer_key(keyring, inbound.channel, inbound.sender_id)
    return await uow.officers.by_key(key)


def shown_name(services: Services, officer: Officer | None) -> str:
    """How an officer is shown to parents: their first name or their role, as configured."""
    if officer is None:
        return services.texts.get("escalation.roles.team")
    if services.settings.officer_display == "first_name" and officer.name:
        return officer.name
    return services.texts.get(f"escalation.roles.{officer.role}")


def internal_name(services: Services, officer: Officer | None) -> str:
    """How an officer is named to other officers: first name if known, and their number."""
    if officer is None:
        return services.texts.get("escalation.roles.team")
    label = officer.name or services.texts.get(f"escalation.roles.{officer.role}")
    return f"{label} (#{officer.id})"


def holder_name(services: Services, holder: Officer | None) -> str:
    """Who holds a ticket, as officers see it, or that nobody does yet."""
    if holder is None:
        return services.texts.get("escalation.officer.unclaimed")
    return internal_name(services, holder)


def may_open(officer: Officer, ticket: Ticket) -> bool:
    """Whether an officer may read a ticket's content: the one holding it, or a lead."""
    return officer.role == "lead" or ticket.officer_id == officer.id


def may_list(officer: Officer, ticket: Ticket) -> bool:
    """Whether an officer may see a ticket's summary: unclaimed, theirs, or any for a lead."""
    return may_open(officer, ticket) or ticket.officer_id is None


async def record(
    uow: UnitOfWork,
    services: Services,
    officer: Officer,
    action: str,
    subject: str,
    subject_type: str = "ticket",
    **detail: Any,
) -> None:
    """Write one officer read or action to the audit log."""
    await audit.append(
        uow.session,
        services.keyring,
        actor=officer_actor(officer.id),
        action=action,
        subject_type=subject_type,
        subject_id=subject,
        at=services.clock(),
        detail=detail,
    )
