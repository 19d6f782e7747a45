"""Linking a parent's chat to a case with the council's code and the child's date of birth.

Every failure looks the same to the parent, whichever part was wrong. Failed attempts are
stored in the database: five in 24 hours pause the chat (even for a right code afterwards),
five wrong dates of birth with one real code, from any chats, revoke that code (and the
result names the case, so officers can send the family a new one), and too many failures
from all chats together within the flood window pause linking for everyone until the
rate falls (sendbot.core.floods).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import select, update

from sendbot.core.cases.codes import dob_digest
from sendbot.core.floods import count_since, flood_until
from sendbot.core.keyring import Keyring
from sendbot.storage.models import Case, LinkCode, LinkFailure
from sendbot.storage.unit_of_work import UnitOfWork

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=24)
CODE_MAX_FAILURES = 5

Outcome = Literal["linked", "already", "full", "failed", "paused", "slowed"]


@dataclass(frozen=True)
class LinkResult:
    """What an attempt to link came to."""

    outcome: Outcome
    case: Case | None = None
    paused_until: datetime | None = None
    tries_left: int = 0
    # The reference of the case whose code this failure revoked, for the officers.
    revoked: str | None = None


async def paused_until(uow: UnitOfWork, chat_key: str, now: datetime) -> datetime | None:
    """When a paused chat may try again, or None if it is not paused."""
    mine = (LinkFailure.chat_key == chat_key,)
    return await flood_until(uow, LinkFailure.at, mine, now, MAX_FAILURES, FAILURE_WINDOW)


async def flood_paused_until(
    uow: UnitOfWork, now: datetime, failures: int, window: timedelta
) -> datetime | None:
    """When linking opens again for everyone after a flood of failures, or None if open."""
    return await flood_until(uow, LinkFailure.at, (), now, failures, window)


async def tries_left(uow: UnitOfWork, chat_key: str, now: datetime) -> int:
    """How many more failures the chat may have before it is paused."""
    mine = (LinkFailure.chat_key == chat_key,)
    failures = await count_since(uow, LinkFailure.at, mine, now - FAILURE_WINDOW)
    return max(MAX_FAILURES - failures, 0)


async def _claim(uow: UnitOfWork, code_id: int, now: datetime) -> bool:
    """Mark a code used, unless another chat used it first."""
    result = await uow.session.execute(
        update(LinkCode)
        .where(LinkCode.id == code_id, LinkCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def _lock_case(uow: UnitOfWork, case_id: int) -> None:
    """On PostgreSQL, hold the case row so two parents cannot both take the last place."""
    if uow.session.get_bind().dialect.name == "postgresql":
        await uow.session.execute(select(Case.id).where(Case.id == case_id).with_for_update())


async def link_case(
    uow: UnitOfWork,
    keyring: Keyring,
    *,
    chat_key: str,
    channel: str,
    chat_ref: str | None,
    code_hash: str,
    born: date,
    now: datetime,
    max_parents: int,
    flood_failures: int = 50,
    flood_window: timedelta = timedelta(hours=1),
) -> LinkResult:
    """Check the code and date of birth together and link the chat if both are right."""
    until = await paused_until(uow, chat_key, now)
    if until is not None:
        return LinkResult("paused", paused_until=until)
    flooded = await flood_paused_until(uow, now, flood_failures, flood_window)
    if flooded is not None:
        return LinkResult("slowed", paused_until=flooded)  # not counted: nothing was tried
    code = await uow.cases.find_code(code_hash)
    usable = (
        code is not None
        and code.used_at is None
        and code.revoked_at is None
        and code.expires_at > now
    )
    case = await uow.session.get(Case, code.case_id) if usable and code is not None else None
    expected = dob_digest(keyring, case.reference, born.isoformat()) if case else ""
    if case is None or not hmac.compare_digest(case.dob_digest, expected):
        return await _fail(uow, chat_key, now, code if usable else None)
    assert code is not None
    if await uow.cases.is_linked(case.id, chat_key):
        return LinkResult("already", case)
    await _lock_case(uow, case.id)
    if await uow.cases.link_count(case.id) >= max_parents:
        return LinkResult("full", case)
    if not await _claim(uow, code.id, now):
        return await _fail(uow, chat_key, now, None)
    await uow.cases.add_link(case.id, chat_key, channel, chat_ref, now)
    return LinkResult("linked", case)


async def _fail(uow: UnitOfWork, chat_key: str, now: datetime, code: LinkCode | None) -> LinkResult:
    """Record a failure; revoke a real code tried with too many wrong dates of birth."""
    await uow.cases.record_failure(chat_key, now, code.id if code else None)
    revoked = None
    if code is not None and await uow.cases.code_failures(code.id) >= CODE_MAX_FAILURES:
        code.revoked_at = now
        case = await uow.session.get(Case, code.case_id)
        revoked = case.reference if case is not None else None
    until = await paused_until(uow, chat_key, now)
    if until is not None:
        return LinkResult("paused", paused_until=until, revoked=revoked)
    left = await tries_left(uow, chat_key, now)
    return LinkResult("failed", tries_left=left, revoked=revoked)
