"""Cases for a parent, with no chat in them: their linked cases, linking, pauses, unlinking.

Every function takes the unit of work, the services (with the one clock) and the parent;
a parent only ever finds cases linked to their own channel identity, and anything else
is `CaseNotFound`. Linking failures look the same whichever part was wrong; the officers'
group hears of a code stopped by wrong dates of birth and of a flood of failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sendbot.core.cases.linking import (
    CODE_MAX_FAILURES,
    LinkResult,
    flood_paused_until,
    link_case,
    paused_until,
)
from sendbot.core.cases.timefmt import long_time
from sendbot.core.floods import alert_officers, bucket, count_since
from sendbot.core.people import Parent
from sendbot.core.services import Services
from sendbot.storage.models import Case, LinkFailure
from sendbot.storage.unit_of_work import UnitOfWork


class CaseNotFound(Exception):
    """No such case linked to this parent (an unknown case and another's look the same)."""


@dataclass(frozen=True)
class Pause:
    """Linking is paused until a time: for this parent, or for everyone (a flood)."""

    until: datetime
    everyone: bool


async def linked(uow: UnitOfWork, parent: Parent) -> list[Case]:
    """The cases linked to the parent, oldest link first."""
    return await uow.cases.linked_cases(parent.chat_key)


async def linked_case(uow: UnitOfWork, parent: Parent, case_id: int | None) -> Case:
    """One case linked to the parent."""
    case = await uow.cases.linked_case(parent.chat_key, case_id) if case_id else None
    if case is None:
        raise CaseNotFound(str(case_id))
    return case


async def pause(uow: UnitOfWork, services: Services, parent: Parent) -> Pause | None:
    """Whether linking is paused for the parent (too many failures) or for everyone."""
    now = services.clock()
    until = await paused_until(uow, parent.chat_key, now)
    if until is not None:
        return Pause(until, everyone=False)
    settings = services.settings
    window = timedelta(minutes=settings.flood_minutes)
    until = await flood_paused_until(uow, now, settings.link_flood_failures, window)
    return Pause(until, everyone=True) if until is not None else None


async def link(
    uow: UnitOfWork, services: Services, parent: Parent, code_hash: str, born: date
) -> LinkResult:
    """Try to link the parent to the case a code (hashed) and date of birth name."""
    now, settings = services.clock(), services.settings
    result = await link_case(
        uow,
        services.keyring,
        chat_key=parent.chat_key,
        channel=parent.channel,
        chat_ref=parent.chat_ref,
        code_hash=code_hash,
        born=born,
        now=now,
        max_parents=settings.case_max_parents,
        flood_failures=settings.link_flood_failures,
        flood_window=timedelta(minutes=settings.flood_minutes),
    )
    await _alert_on_failure(uow, services, result, now)
    return result


async def unlink(uow: UnitOfWork, parent: Parent, case_id: int | None) -> Case:
    """Remove the link between the parent and one of their cases."""
    case = await linked_case(uow, parent, case_id)
    await uow.cases.remove_link(case.id, parent.chat_key)
    return case


async def _alert_on_failure(
    uow: UnitOfWork, services: Services, result: LinkResult, now: datetime
) -> None:
    """Tell officers of a code stopped by wrong dates of birth, and of a flood beginning."""
    if result.outcome not in ("failed", "paused"):
        return
    texts = services.texts
    if result.revoked is not None:
        await alert_officers(
            uow,
            services,
            key=f"code-revoked-{result.revoked}-{int(now.timestamp())}",
            html=texts.get(
                "security.code_revoked", reference=result.revoked, tries=CODE_MAX_FAILURES
            ),
            now=now,
            detail={"case": result.revoked},
        )
    settings = services.settings
    window = timedelta(minutes=settings.flood_minutes)
    until = await flood_paused_until(uow, now, settings.link_flood_failures, window)
    if until is None:
        return
    failures = await count_since(uow, LinkFailure.at, (), now - window)
    await alert_officers(
        uow,
        services,
        key=f"link-flood-{bucket(now, window)}",
        html=texts.get(
            "security.link_flood",
            count=failures,
            minutes=settings.flood_minutes,
            until=long_time(until),
        ),
        now=now,
        detail={"failures": failures, "minutes": settings.flood_minutes},
    )
