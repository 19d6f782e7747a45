"""The one place that reads the system clock; everything else is handed a Clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time in UTC, timezone-aware: the program's only reading of the clock."""
    return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until it is moved (tests, benchmarks, replays)."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("a frozen clock needs a timezone-aware time")
        self.now = now

    def __call__(self) -> datetime:
        """The time this clock shows."""
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock on by `delta` and return the new time."""
        self.now += delta
        return self.now

    def set(self, moment: datetime) -> None:
        """Move the clock to `moment`."""
        if moment.tzinfo is None:
            raise ValueError("a frozen clock needs a timezone-aware time")
        self.now = moment
