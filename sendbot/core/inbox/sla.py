"""A ticket's service-level state as the inbox shows it.

"paused": an officer wrote last and the ticket waits for the parent; "overdue": past its
due time; "due_today": due before the end of today in the UK; "on_time": later than
that; "closed": closed. UK days, as every due date is 17:00 UK time.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sendbot.core.cases.timefmt import LONDON

STATES = ("on_time", "due_today", "overdue", "paused", "closed")
LABELS = {
    "on_time": "On time",
    "due_today": "Due today",
    "overdue": "Overdue",
    "paused": "Waiting for parent",
    "closed": "Closed",
}


def end_of_uk_day(now: datetime) -> datetime:
    """Midnight at the end of today in the UK, as UTC."""
    tomorrow = now.astimezone(LONDON).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=LONDON).astimezone(UTC)


def state(status: str, due: datetime, last_author: str | None, now: datetime) -> str:
    """One ticket's state."""
    if status == "closed":
        return "closed"
    if last_author == "officer":
        return "paused"
    if due <= now:
        return "overdue"
    if due <= end_of_uk_day(now):
        return "due_today"
    return "on_time"


def of(status: str, due: datetime, waiting_on_parent: bool, now: datetime) -> str:
    """One ticket's state from its stored flags (waiting: an officer wrote last)."""
    return state(status, due, "officer" if waiting_on_parent else None, now)
