"""Reading a date of birth as parents write it (UK, day first)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from dateutil import parser

from sendbot.core.cases.deadlines import age_on

MAX_AGE = 25
_YEAR_FIRST = re.compile(r"^\s*\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}\s*$")
_DEFAULTS = (datetime(2001, 1, 1), datetime(2002, 2, 2))

Problem = Literal["unreadable", "future", "too_old"]


@dataclass(frozen=True)
class ParsedDate:
    """A date read from text, or the reason it could not be accepted."""

    value: date | None = None
    problem: Problem | None = None


def read_date(text: str) -> date | None:
    """A full calendar date from text such as 03/05/2015, 3/5/15, 3 May 2015 or 2015-05-03.

    Day first, as in the UK, except in year-first forms; anything missing a day, a month or
    a year (such as 'May 2015') is refused rather than guessed.
    """
    cleaned = text.strip().rstrip(".")
    if not cleaned or len(cleaned) > 40 or not re.search(r"\d", cleaned):
        return None
    year_first = bool(_YEAR_FIRST.match(cleaned))
    results = []
    for default in _DEFAULTS:
        try:
            parsed = parser.parse(
                cleaned, dayfirst=not year_first, yearfirst=year_first, default=default
            )
        except (ValueError, OverflowError):
            return None
        results.append(parsed)
    first, second = results
    if first != second or first.time() != datetime.min.time():
        return None  # part of the date was missing and came from the default, or a time
    return first.date()


def read_birth_date(text: str, today: date) -> ParsedDate:
    """A child's date of birth: a real date, not in the future, aged 0 to 25 today."""
    value = read_date(text)
    if value is None:
        return ParsedDate(problem="unreadable")
    if value > today:
        return ParsedDate(problem="future")
    if age_on(value, today) > MAX_AGE:
        return ParsedDate(problem="too_old")
    return ParsedDate(value=value)
