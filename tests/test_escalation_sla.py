"""Service levels: working days with England's bank holidays, reminders, the leads' daily list."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from sendbot.app import App
from sendbot.config import Settings
from sendbot.core.escalation.jobs import (
    escalation_jobs,
    send_overdue_digest,
    send_reminders,
)
from sendbot.core.escalation.sla import add_working_days, due_at, half_time, is_working_day
from sendbot.core.privacy.retention import purge_closed_ticket_content
from sendbot.storage.models import Ticket
from tests.test_escalation import (
    GROUP,
    NOW,
    Clock,
    Person,
    Sender,
    deliver,
    escalate,
    make_officer,
    ready,
)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def app(settings: Settings, clock: Clock, tmp_path: Path) -> AsyncIterator[App]:
    async for ready_app in ready(settings, clock, tmp_path):
        yield ready_app


@pytest.fixture
async def both_app(
    settings: Settings, database_url: str, clock: Clock, tmp_path: Path
) -> AsyncIterator[App]:
    async for ready_app in ready(
        settings.model_copy(update={"database_url": database_url}), clock, tmp_path
    ):
        yield ready_app


def test_weekends_and_bank_holidays_do_not_count() -> None:
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Fri -> Mon
    # Christmas Day is a Friday and Boxing Day a Saturday, so Monday 28th is a holiday too.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    # Easter 2027: Good Friday 26 March, Easter Monday 29 March.
    assert add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)
    # The early May and spring bank holidays of 2027.
    assert not is_working_day(date(2027, 5, 3)) and not is_working_day(date(2027, 5, 31))
    assert is_working_day(date(2027, 6, 1))


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), st.integers(1, 70))
def test_adding_working_days_counts_exactly_that_many(start: date, days: int) -> None:
    end = add_working_days(start, days)
    assert is_working_day(end)
    span = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(is_working_day(d) for d in span) == days


def test_due_at_is_close_of_business_in_uk_time() -> None:
    summer = due_at(datetime(2026, 7, 1, 9, 0, tzinfo=UTC), 1)
    assert summer == datetime(2026, 7, 2, 16, 0, tzinfo=UTC)  # 17:00 BST
    winter = due_at(datetime(2026, 11, 23, 23, 30, tzinfo=UTC), 1)
    assert winter == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    received = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    due = due_at(received, 5)
    assert half_time(received, due) == received + (due - received) / 2


async def test_half_time_and_overdue_reminders_go_once_each(both_app: App) -> None:
    app = both_app
    parent = Person(app, "801")
    reference, _ = await escalate(parent)
    [ticket] = await _tickets(app)
    sender = Sender()
    await deliver(app, sender)
    assert len(sender.to(GROUP)) == 1  # the new-ticket summary
    early = ticket.half_at - timedelta(minutes=1)
    assert await send_reminders(app.database, app.services, early) == 0
    half = ticket.half_at + timedelta(minutes=1)
    assert await send_reminders(app.database, app.services, half) == 1
    assert await send_reminders(app.database, app.services, half) == 0
    await deliver(app, sender)
    reminder = sender.to(GROUP)[-1]
    assert reference in reminder.html and "half way" in reminder.html
    assert [b.data for b in reminder.flat_buttons] == [f"o:c:{reference}"]
    officer = await make_officer(app, "811")
    await officer.send(f"/claim {reference}")
    late = ticket.due_at + timedelta(minutes=1)
    assert await send_reminders(app.database, app.services, late) == 1
    assert await send_reminders(app.database, app.services, late + timedelta(hours=5)) == 0
    await deliver(app, sender)
    assert any("overdue" in m.html and reference in m.html for m in sender.to("811"))


async def test_a_ticket_found_overdue_at_once_gets_one_reminder(app: App) -> None:
    await escalate(Person(app, "802"))
    [ticket] = await _tickets(app)
    late = ticket.due_at + timedelta(days=1)
    assert await send_reminders(app.database, app.services, late) == 1
    assert await send_reminders(app.database, app.services, late) == 0


async def test_closed_tickets_get_no_reminders(app: App) -> None:
    parent = Person(app, "803")
    reference, _ = await escalate(parent)
    await parent.press(f"k:z:{reference}")
    [ticket] = await _tickets(app)
    assert await send_reminders(app.database, app.services, ticket.due_at + timedelta(1)) == 0


async def test_leads_get_the_overdue_list_once_a_day_after_eight(both_app: App) -> None:
    app = both_app
    reference, _ = await escalate(Person(app, "804"), "complaint", "slow")
    lead = await make_officer(app, "812", role="lead")
    await make_officer(app, "813")  # not a lead: gets no list
    [ticket] = await _tickets(app)
    day_after = ticket.due_at.date() + timedelta(days=1)
    before_eight = datetime.combine(day_after, datetime.min.time(), tzinfo=UTC) + timedelta(hours=7)
    assert await send_overdue_digest(app.database, app.services, before_eight) == 0
    nine = before_eight + timedelta(hours=2)
    assert await send_overdue_digest(app.database, app.services, nine) == 1
    assert await send_overdue_digest(app.database, app.services, nine + timedelta(hours=3)) == 0
    next_day = nine + timedelta(days=1)
    assert await send_overdue_digest(app.database, app.services, next_day) == 1
    sender = Sender()
    await deliver(app, sender)
    lists = sender.to(lead.user_id)
    assert len(lists) == 2 and reference in lists[0].html and "slow" not in lists[0].html
    assert sender.to("813") == []


async def test_closed_ticket_content_is_erased_after_the_retention_period(both_app: App) -> None:
    app = both_app
    parent = Person(app, "805")
    reference, _ = await escalate(parent, "question", "keep me a while")
    await parent.press(f"k:z:{reference}")
    assert await purge_closed_ticket_content(app.database, NOW + timedelta(days=29), 30) == 0
    assert await purge_closed_ticket_content(app.database, NOW + timedelta(days=31), 30) == 1
    [ticket] = await _tickets(app)
    assert ticket.body is None and ticket.status == "closed" and ticket.parent_key is not None


async def test_only_one_of_two_simultaneous_claims_wins(both_app: App) -> None:
    app = both_app
    reference, _ = await escalate(Person(app, "806"))
    first = await make_officer(app, "814")
    second = await make_officer(app, "815")
    del first, second
    [ticket] = await _tickets(app)

    async def claim(officer_id: int) -> bool:
        async with app.database.unit_of_work() as uow:
            return await uow.tickets.claim(ticket.id, officer_id, NOW)

    results = await asyncio.gather(claim(1), claim(2))
    assert sorted(results) == [False, True]
    [claimed] = await _tickets(app)
    assert claimed.officer_id in (1, 2) and claimed.status == "claimed"
    assert reference == claimed.reference


def test_the_jobs_are_offered_for_the_job_queue() -> None:
    names = {job.name for job in escalation_jobs()}
    assert names == {"ticket-reminders", "overdue-digest"}


async def _tickets(app: App) -> list[Ticket]:
    async with app.database.unit_of_work() as uow:
        return list((await uow.session.execute(select(Ticket).order_by(Ticket.id))).scalars())


@pytest.mark.parametrize("year", range(2026, 2036))
def test_bank_holidays_are_known_for_every_year_a_council_may_run_this(year: int) -> None:
    # Christmas Day, and Easter Monday from the date of Easter: none is a working day,
    # whichever year the machine's clock (or CI's shifted clock) is in.
    from dateutil.easter import easter

    assert not is_working_day(date(year, 12, 25))
    assert not is_working_day(easter(year) + timedelta(days=1))
    assert not is_working_day(easter(year) - timedelta(days=2))  # Good Friday
