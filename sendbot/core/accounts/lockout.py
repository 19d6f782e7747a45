"""Console sign-in lock-out: failures counted in the database, per e-mail and overall.

Failures are rows in security_failures (kind "console", keyed by the e-mail's keyed
hash, whether or not an account has that e-mail, so a lock-out reveals nothing). A few
failures within the window lock that e-mail until the rate falls; a flood over every
e-mail pauses sign-in for all and alerts officers once per window (core/floods.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sendbot.core import floods
from sendbot.core.services import Services
from sendbot.storage.unit_of_work import UnitOfWork

KIND = "console"
SIGN_INS = floods.Guarded(
    kind=KIND,
    action="console.signin_failed",
    subject_type="account",
    alert="security.console_flood",
    own_limit=lambda settings: (
        settings.console_signin_failures,
        timedelta(minutes=settings.console_lockout_minutes),
    ),
    flood_failures=lambda settings: settings.console_flood_failures,
)


async def paused_until(
    uow: UnitOfWork, services: Services, email_key: str, now: datetime
) -> datetime | None:
    """When this e-mail may try to sign in again (its own limit, or a flood), or None."""
    return await floods.paused_until(uow, services, SIGN_INS, email_key, now)


async def record_failure(
    uow: UnitOfWork, services: Services, email_key: str, now: datetime, reason: str
) -> None:
    """Remember a failed sign-in, audit it, and alert officers when a flood begins."""
    await floods.record_failure(uow, services, SIGN_INS, email_key, now, {"reason": reason})
