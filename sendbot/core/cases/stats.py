"""How the council is doing, from the imported cases: management information, not official
statistics.

Counted as the Department for Education counts new plans in the SEN2 return: a plan is
issued within 20 weeks when its final date is no later than 20 weeks after the request
(reg 13(2)); the share is given for all plans ("including exceptions") and for the plans
with no reg 10(4) exception recorded ("excluding exceptions": those plans leave both the
count and the total), as in the DfE's "Education, health and care plans" tables.
Any count from 1 to 4 is suppressed, and so is any share or median built on one.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from sendbot.core.cases.deadlines import FINAL_WEEKS, add_weeks
from sendbot.core.cases.timefmt import london_today
from sendbot.storage.models import AuditRecord, Case
from sendbot.storage.unit_of_work import UnitOfWork

SUPPRESS_BELOW = 5
WAITING_STAGES = ("request_received", "assessing", "draft_issued")


@dataclass(frozen=True)
class Count:
    """A count that may be suppressed: the value is None when it is 1 to 4."""

    value: int | None

    @classmethod
    def of(cls, n: int) -> Count:
        """A count, suppressed when small."""
        return cls(None if 0 < n < SUPPRESS_BELOW else n)

    def __str__(self) -> str:
        return f"fewer than {SUPPRESS_BELOW}" if self.value is None else str(self.value)


@dataclass(frozen=True)
class Share:
    """Part of a whole as a percentage, suppressed when either count is small."""

    part: Count
    whole: Count
    percent: float | None

    @classmethod
    def of(cls, part: int, whole: int) -> Share:
        """A share, with its counts; no percentage when either is suppressed or none."""
        part_c, whole_c = Count.of(part), Count.of(whole)
        shown = part_c.value is not None and whole_c.value not in (None, 0)
        return cls(part_c, whole_c, round(100 * part / whole, 1) if shown else None)


@dataclass(frozen=True)
class CouncilStats:
    """The figures, for one calendar year to date and for today."""

    year: int
    today: date
    imported: date | None
    plans: Share  # issued within 20 weeks, of all new plans this year (inc. exceptions)
    plans_ex: Share  # the same for plans with no exception recorded (exc. exceptions)
    median_weeks: float | None  # request to final plan, plans issued this year
    waiting: Count  # requests with no final plan yet
    waiting_over_20: Count  # of those, waiting more than 20 weeks
    waiting_over_52: Count  # of those, waiting more than 52 weeks
    waiting_median_weeks: float | None

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON (suppressed counts are null)."""
        data = asdict(self)
        data["today"] = self.today.isoformat()
        data["imported"] = self.imported.isoformat() if self.imported else None
        data["label"] = "management information, not official statistics"
        data["suppressed_below"] = SUPPRESS_BELOW
        return data


def _weeks(days: list[int]) -> float | None:
    """The median in weeks to one decimal, or None for fewer than SUPPRESS_BELOW values."""
    if len(days) < SUPPRESS_BELOW:
        return None
    return round(statistics.median(days) / 7, 1)


def compute(rows: list[tuple[str, date, date | None, str | None]], today: date) -> CouncilStats:
    """The figures from (stage, request date, final plan date, exception) rows."""
    year = today.year
    issued = within = issued_ex = within_ex = 0
    plan_days: list[int] = []
    waiting_days: list[int] = []
    for stage, requested, final, exception in rows:
        if final is not None and final.year == year and final <= today:
            on_time = final <= add_weeks(requested, FINAL_WEEKS)
            issued += 1
            within += on_time
            plan_days.append((final - requested).days)
            if not exception:
                issued_ex += 1
                within_ex += on_time
        elif final is None and stage in WAITING_STAGES:
            waiting_days.append((today - requested).days)
    return CouncilStats(
        year=year,
        today=today,
        imported=None,
        plans=Share.of(within, issued),
        plans_ex=Share.of(within_ex, issued_ex),
        median_weeks=_weeks(plan_days),
        waiting=Count.of(len(waiting_days)),
        waiting_over_20=Count.of(sum(d > FINAL_WEEKS * 7 for d in waiting_days)),
        waiting_over_52=Count.of(sum(d > 52 * 7 for d in waiting_days)),
        waiting_median_weeks=_weeks(waiting_days),
    )


async def import_date(uow: UnitOfWork) -> datetime | None:
    """When cases were last imported: the audited import, else the newest case change."""
    session = uow.session
    audited = await session.execute(
        select(func.max(AuditRecord.at)).where(AuditRecord.action == "cases.import")
    )
    found = audited.scalar()
    if found is None:
        changed = await session.execute(select(func.max(Case.updated_at)))
        found = changed.scalar()
    return found


async def council_stats(uow: UnitOfWork, today: date) -> CouncilStats:
    """The figures from every imported case, as of today."""
    result = await uow.session.execute(
        select(Case.stage, Case.request_date, Case.final_date, Case.exception)
    )
    rows = [(s, r, f, e) for s, r, f, e in result.all()]
    stats = compute(rows, today)
    imported = await import_date(uow)
    return replace(stats, imported=london_today(imported) if imported else None)
