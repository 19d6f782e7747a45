"""Service levels: due dates in working days, skipping weekends and England's bank holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import holidays

from sendbot.core.cases.timefmt import LONDON

CLOSE_OF_BUSINESS = time(17, 0)


@cache
def _bank_holidays() -> holidays.HolidayBase:
    """Bank holidays in England (and Wales share them), from the holidays library."""
    return holidays.country_holidays("GB", subdiv="ENG")


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a bank holiday in England."""
    return day.weekday() < 5 and day not in _bank_holidays()


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (the day received does not count)."""
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def due_at(received: datetime, working_days: int) -> datetime:
    """Close of business (17:00 UK time) on the last working day allowed."""
    local_day = received.astimezone(LONDON).date()
    last = add_working_days(local_day, working_days)
    return datetime.combine(last, CLOSE_OF_BUSINESS, tzinfo=LONDON).astimezone(UTC)


def half_time(received: datetime, due: datetime) -> datetime:
    """Half way from receipt to the due time."""
    return received + (due - received) / 2
