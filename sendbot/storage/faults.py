"""What a database error means for the bot: unreachable for now, full, read-only, or other.

A database that cannot be reached (restarting, the network down) comes back by itself, so
the update is best handled again later (the webhook answers 500 and Telegram resends it);
a full or read-only database needs someone to act, so it is logged in words they can act
on. Errors are read by SQLSTATE where the driver gives one (PostgreSQL), else by SQLite's
own messages.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class Fault(StrEnum):
    """A database fault, in words an operator can act on."""

    UNREACHABLE = "the database cannot be reached"
    FULL = "the database's disk is full"
    READ_ONLY = "the database is read-only"


class DatabaseUnreachable(RuntimeError):
    """The database could not be reached for this message; it should be handled again."""


_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03")  # connection class; shutdowns
_FULL_STATES = ("53100",)  # disk_full
_READ_ONLY_STATES = ("25006",)  # read_only_sql_transaction
_FULL_WORDS = ("database or disk is full", "no space left on device", "disk i/o error")
_READ_ONLY_WORDS = ("readonly database", "read-only", "read only")


def _chain(error: BaseException) -> list[BaseException]:
    """The error, what it wraps (a driver's error) and what caused it."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return seen


def fault_of(error: BaseException) -> Fault | None:
    """The fault an error shows, or None for any other error."""
    for part in _chain(error):
        state = str(getattr(part, "sqlstate", None) or getattr(part, "pgcode", None) or "")
        words = str(part).lower()
        if isinstance(part, DBAPIError) and part.connection_invalidated:
            return Fault.UNREACHABLE
        if isinstance(part, ConnectionError | TimeoutError | PoolTimeout) or state.startswith(
            _UNREACHABLE_STATES
        ):
            return Fault.UNREACHABLE
        if state in _FULL_STATES or any(w in words for w in _FULL_WORDS):
            return Fault.FULL
        if state in _READ_ONLY_STATES or any(w in words for w in _READ_ONLY_WORDS):
            return Fault.READ_ONLY
        if type(part).__name__ in ("ConnectionDoesNotExistError", "CannotConnectNowError"):
            return Fault.UNREACHABLE
    return None
