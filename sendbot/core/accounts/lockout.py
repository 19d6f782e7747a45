"""Console sign-in lock-out: failures counted in the database, per e-mail and overall.

Failures are rows in security_failures (kind "console", keyed by the e-mail's keyed
hash, whether or not an account has that e-mail, so a lock-out reveals nothing). A few
failures within the window lock that e-mail until the rate falls; a flood over every
e-mail pauses sign-in for all and alerts officers once per window (core/floods.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sendbot.core import audit
from sendbot.core.floods import alert_officers, bucket, count_since, flood_until
from sendbot.core.services import Services
from sendbot.storage.models import SecurityFailure
from sendbot.storage.unit_of_work import UnitOfWork

KIND = "console"
_AT = SecurityFailure.at


async def paused_until(
    uow: UnitOfWork, services: Services, email_key: str, now: datetime
) -> datetime | None:
    """When this e-mail may try to sign in again (its own limit, or a flood), or None."""
    settings = services.settings
    kind = SecurityFailure.kind == KIND
    mine = await flood_until(
        uow,
        _AT,
        (kind, SecurityFailure.chat_key == email_key),
        now,
        settings.console_signin_failures,
        timedelta(minutes=settings.console_lockout_minutes),
    )
    if mine is not None:
        return mine
    window = timedelta(minutes=settings.flood_minutes)
    return await flood_until(uow, _AT, (kind,), now, settings.console_flood_failures, window)


async def record_failure(
    uow: UnitOfWork, services: Services, email_key: str, now: datetime, reason: str
) -> None:
    """Remember a failed sign-in, audit it, and alert officers when a flood begins."""
    uow.session.add(SecurityFailure(kind=KIND, chat_key=email_key, at=now))
    await uow.session.flush()
    await audit.append(
        uow.session,
        services.keyring,
        actor="unknown",
        action="console.signin_failed",
        subject_type="account",
        subject_id=email_key[:16],
        at=now,
        detail={"reason": reason},
    )
    settings = services.settings
    window = timedelta(minutes=settings.flood_minutes)
    kind = (SecurityFailure.kind == KIND,)
    if await flood_until(uow, _AT, kind, now, settings.console_flood_failures, window) is None:
        return
    failures = await count_since(uow, _AT, kind, now - window)
    await alert_officers(
        uow,
        services,
        key=f"console-flood-{bucket(now, window)}",
        html=services.texts.get(
            "security.console_flood", count=failures, minutes=settings.flood_minutes
        ),
        now=now,
        detail={"failures": failures, "minutes": settings.flood_minutes},
    )
