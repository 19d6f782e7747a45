"""Leads' reports: tickets received, answered within the service level, first response,
overdue now and ratings, by month (UK) and kind.

A ticket's first response is its first officer message (a reply or an attached entry).
It met the service level if that came by the due time; it missed it if it came later,
or if none came and the due time has passed; otherwise it is still in time and counts
in neither. First response is counted in working days (England's, as due dates are):
0 when answered the working day it arrived.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from sendbot.core.cases.timefmt import LONDON
from sendbot.core.escalation.sla import is_working_day
from sendbot.storage.models import Ticket, TicketMessage
from sendbot.storage.unit_of_work import UnitOfWork

ALL = "all"
COLUMNS = (
    "month", "kind", "received", "met", "missed", "met_percent",
    "median_first_response_working_days", "overdue_now", "ratings", "average_rating",
)  # fmt: skip


@dataclass
class Line:
    """The figures of one month and kind (or every kind, "all")."""

    month: str
    kind: str
    received: int = 0
    met: int = 0
    missed: int = 0
    overdue_now: int = 0
    responses: list[int] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)

    @property
    def met_percent(self) -> float | None:
        """Share of judged tickets answered in time, or None if none can be judged yet."""
        judged = self.met + self.missed
        return round(100 * self.met / judged, 1) if judged else None

    @property
    def median_response(self) -> float | None:
        """Median working days to a first response."""
        return statistics.median(self.responses) if self.responses else None

    @property
    def average_rating(self) -> float | None:
        """Mean satisfaction rating (1 to 5)."""
        return round(statistics.fmean(self.ratings), 2) if self.ratings else None

    def row(self) -> list[object]:
        """The line as a CSV row, in COLUMNS' order."""
        return [
            self.month, self.kind, self.received, self.met, self.missed,
            "" if self.met_percent is None else self.met_percent,
            "" if self.median_response is None else self.median_response,
            self.overdue_now, len(self.ratings),
            "" if self.average_rating is None else self.average_rating,
        ]  # fmt: skip


def working_days_between(start: datetime, end: datetime) -> int:
    """Working days after the UK day `start` falls on, up to and including `end`'s."""
    first, last = start.astimezone(LONDON).date(), end.astimezone(LONDON).date()
    count, day = 0, first
    while day < last:
        day = date.fromordinal(day.toordinal() + 1)
        if is_working_day(day):
            count += 1
    return count


async def report(uow: UnitOfWork, now: datetime) -> list[Line]:
    """Every month and kind with tickets, newest month first, each month's total first."""
    first = (
        select(TicketMessage.ticket_id, func.min(TicketMessage.at).label("first_at"))
        .where(TicketMessage.author == "officer")
        .group_by(TicketMessage.ticket_id)
        .subquery()
    )
    query = select(
        Ticket.kind, Ticket.status, Ticket.created_at, Ticket.due_at, Ticket.rating,
        first.c.first_at,
    ).outerjoin(first, first.c.ticket_id == Ticket.id)  # fmt: skip
    lines: dict[tuple[str, str], Line] = {}
    for kind, status, created, due, rating, first_at in (await uow.session.execute(query)).all():
        month = created.astimezone(LONDON).strftime("%Y-%m")
        for key in ((month, ALL), (month, kind)):
            line = lines.setdefault(key, Line(*key))
            line.received += 1
            if first_at is not None:
                first_at = first_at if first_at.tzinfo else first_at.replace(tzinfo=UTC)
                line.met += first_at <= due
                line.missed += first_at > due
                line.responses.append(working_days_between(created, first_at))
            elif due <= now:
                line.missed += 1
            if status != "closed" and due <= now:
                line.overdue_now += 1
            if rating is not None:
                line.ratings.append(rating)
    by_month: dict[str, list[Line]] = defaultdict(list)
    for line in lines.values():
        by_month[line.month].append(line)
    ordered: list[Line] = []
    for month in sorted(by_month, reverse=True):
        ordered += sorted(by_month[month], key=lambda x: (x.kind != ALL, x.kind))
    return ordered


def as_csv(lines: list[Line]) -> str:
    """The report as CSV, one row per month and kind."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for line in lines:
        writer.writerow(line.row())
    return out.getvalue()
