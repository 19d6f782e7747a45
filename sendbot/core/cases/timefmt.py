"""UK time for cases: today's date in London, quiet hours, dates as people write them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def london_today(now: datetime) -> date:
    """The date in the UK at an instant."""
    return now.astimezone(LONDON).date()


def not_before(now: datetime) -> datetime:
    """When an alert may go: now, unless it is between 21:00 and 08:00 UK time, then 08:00."""
    local = now.astimezone(LONDON)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return now
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, tzinfo=LONDON).astimezone(UTC)


def long_date(day: date) -> str:
    """A date as '3 May 2026'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def long_time(moment: datetime) -> str:
    """An instant in UK time as '3:05pm on 3 May 2026'."""
    local = moment.astimezone(LONDON)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}:{local.minute:02d}{suffix} on {long_date(local.date())}"
