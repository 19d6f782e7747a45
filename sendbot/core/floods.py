"""Failed attempts from every chat together: when everyone slows down, and telling officers.

Each failure is a row in the database (link_failures, security_failures), so every bot
process counts the same ones, and the rate is one windowed query on an indexed time
column: with N failures allowed per window, a flood lasts until the N-th newest failure
is a window old. Alerts to officers go through the outbox to the officers' group and
are written to the audit log, once per flood window (the audit log is the shared memory
of what was said), so a thousand failures make one alert, not a thousand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute

from sendbot.config import Settings
from sendbot.core import audit
from sendbot.core.messages import Outbound
from sendbot.core.officers_group import queue_to_officers_group
from sendbot.core.services import Services
from sendbot.storage.models import AuditRecord, SecurityFailure
from sendbot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

ALERT = "security.alert"
CHAT_FAILURES = 5  # failed invite attempts a chat may make in CHAT_WINDOW
CHAT_WINDOW = timedelta(hours=24)


async def flood_until(
    uow: UnitOfWork,
    at: InstrumentedAttribute[datetime],
    where: Sequence[ColumnElement[bool]],
    now: datetime,
    failures: int,
    window: timedelta,
) -> datetime | None:
    """When the rate falls below `failures` per `window` again, or None if it is below now."""
    nth_newest = (
        select(at)
        .where(*where, at > now - window)
        .order_by(at.desc())
        .offset(failures - 1)
        .limit(1)
    )
    found = (await uow.session.execute(nth_newest)).scalar_one_or_none()
    return None if found is None else found + window


async def count_since(
    uow: UnitOfWork,
    at: InstrumentedAttribute[datetime],
    where: Sequence[ColumnElement[bool]],
    since: datetime,
) -> int:
    """How many failures happened since a time."""
    query = select(func.count()).select_from(at.class_).where(*where, at > since)
    return int((await uow.session.execute(query)).scalar_one())


def bucket(now: datetime, window: timedelta) -> int:
    """The number of the flood window a time falls in, for one alert per window."""
    return int(now.timestamp() // window.total_seconds())


async def alert_officers(
    uow: UnitOfWork,
    services: Services,
    *,
    key: str,
    html: str,
    now: datetime,
    detail: dict[str, Any],
) -> bool:
    """Tell the officers' group once per key, and audit it; False if it was told already."""
    told = select(AuditRecord.id).where(AuditRecord.action == ALERT, AuditRecord.subject_id == key)
    if (await uow.session.execute(told.limit(1))).first() is not None:
        return False
    await audit.append(
        uow.session,
        services.keyring,
        actor="system",
        action=ALERT,
        subject_type="security",
        subject_id=key,
        at=now,
        detail=detail,
    )
    queued = await queue_to_officers_group(
        uow, services, Outbound(html), dedupe_key=f"security:{key}", kind="security-alert"
    )
    # The log names no case or chat: the audit log holds the detail.
    log.warning("security alert raised; `sendbot audit show` has it")
    if not queued:
        log.warning("security alert not sent: SENDBOT_OFFICERS_CHAT_ID is not set")
    return True


# Attempts that can fail (officer invite codes, console sign-ins): one rule for each kind.


@dataclass(frozen=True)
class Guarded:
    """A kind of attempt that can fail: how often one subject, and everyone, may fail it."""

    kind: str  # security_failures.kind
    action: str  # the audit log's action for one failure
    subject_type: str
    alert: str  # the officers' alert in knowledge/messages.yaml
    own_limit: Callable[[Settings], tuple[int, timedelta]]
    flood_failures: Callable[[Settings], int]


INVITE = "invite"
INVITES = Guarded(
    kind=INVITE,
    action="officer.invite_failed",
    subject_type="chat",
    alert="security.invite_flood",
    own_limit=lambda _settings: (CHAT_FAILURES, CHAT_WINDOW),
    flood_failures=lambda settings: settings.invite_flood_failures,
)
_AT = SecurityFailure.at


async def paused_until(
    uow: UnitOfWork, services: Services, guarded: Guarded, subject_key: str, now: datetime
) -> datetime | None:
    """When this subject may try again (its own limit, or a flood of everyone's), or None."""
    kind = SecurityFailure.kind == guarded.kind
    failures, window = guarded.own_limit(services.settings)
    own = (kind, SecurityFailure.chat_key == subject_key)
    mine = await flood_until(uow, _AT, own, now, failures, window)
    if mine is not None:
        return mine
    return await _flood(uow, services, guarded, now)


async def _flood(
    uow: UnitOfWork, services: Services, guarded: Guarded, now: datetime
) -> datetime | None:
    """When a flood of this kind's failures from everyone ends, or None if there is none."""
    window = timedelta(minutes=services.settings.flood_minutes)
    failures = guarded.flood_failures(services.settings)
    kind = (SecurityFailure.kind == guarded.kind,)
    return await flood_until(uow, _AT, kind, now, failures, window)


async def record_failure(
    uow: UnitOfWork,
    services: Services,
    guarded: Guarded,
    subject_key: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Remember a failed attempt, audit it, and alert officers when a flood begins."""
    uow.session.add(SecurityFailure(kind=guarded.kind, chat_key=subject_key, at=now))
    await uow.session.flush()
    await audit.append(
        uow.session,
        services.keyring,
        actor="unknown",
        action=guarded.action,
        subject_type=guarded.subject_type,
        subject_id=subject_key[:16],
        at=now,
        detail=detail,
    )
    if await _flood(uow, services, guarded, now) is None:
        return
    minutes = services.settings.flood_minutes
    window = timedelta(minutes=minutes)
    kind = (SecurityFailure.kind == guarded.kind,)
    failures = await count_since(uow, _AT, kind, now - window)
    await alert_officers(
        uow,
        services,
        key=f"{guarded.kind}-flood-{bucket(now, window)}",
        html=services.texts.get(guarded.alert, count=failures, minutes=minutes),
        now=now,
        detail={"failures": failures, "minutes": minutes},
    )


async def invite_paused_until(
    uow: UnitOfWork, services: Services, chat_key: str, now: datetime
) -> datetime | None:
    """When this chat may try an invite code again (its own limit, or a flood), or None."""
    return await paused_until(uow, services, INVITES, chat_key, now)


async def record_invite_failure(
    uow: UnitOfWork, services: Services, chat_key: str, now: datetime
) -> None:
    """Remember a wrong invite code, audit it, and alert officers when a flood begins."""
    await record_failure(uow, services, INVITES, chat_key, now)
