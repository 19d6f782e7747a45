"""Alerts to linked parents: quiet hours, deadline checks, once only, through the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from sendbot.app import App, open_app
from sendbot.config import Settings
from sendbot.core.cases.alerts import check_deadlines
from sendbot.core.cases.timefmt import LONDON, not_before
from sendbot.core.jobs.registry import JobContext
from sendbot.core.messages import Outbound
from sendbot.core.outbox import deliver_due
from sendbot.core.schedule import scheduled_jobs
from sendbot.storage.models import CaseEvent, LinkFailure, OutboxMessage
from tests.casefiles import seed

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ROW = {
    "case_ref": "TS0001",
    "child_first_name": "Sam",
    "child_dob": "2015-05-03",
    "request_date": "2026-06-01",  # decision due 13 July, final plan due 19 October
    "stage": "request_received",
}


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def test_quiet_hours_in_winter_and_summer() -> None:
    assert not_before(london(2026, 11, 23, 20, 59)) == london(2026, 11, 23, 20, 59)
    assert not_before(london(2026, 11, 23, 21, 0)) == london(2026, 11, 24, 8, 0)
    assert not_before(london(2026, 11, 24, 3, 15)) == london(2026, 11, 24, 8, 0)
    assert not_before(london(2026, 11, 24, 8, 0)) == london(2026, 11, 24, 8, 0)
    # In summer 08:00 in London is 07:00 UTC.
    summer = not_before(datetime(2026, 7, 1, 21, 30, tzinfo=UTC))
    assert summer == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)
    # The night the clocks go forward (29 March 2026) and back (25 October 2026).
    assert not_before(london(2026, 3, 29, 0, 30)) == london(2026, 3, 29, 8, 0)
    assert not_before(london(2026, 10, 25, 1, 30)) == london(2026, 10, 25, 8, 0)


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1)))
def test_alerts_never_go_between_nine_at_night_and_eight_in_the_morning(moment: datetime) -> None:
    now = moment.replace(tzinfo=UTC)
    send = not_before(now)
    local = send.astimezone(LONDON)
    assert send >= now
    assert 8 <= local.hour < 21
    assert send - now <= timedelta(hours=12)
    if send > now:
        assert local.hour == 8 and local.minute == 0


@pytest.fixture
async def case_app(settings: Settings, database_url: str) -> AsyncIterator[App]:
    async with open_app(settings.model_copy(update={"database_url": database_url})) as ready:
        ready.services.clock = lambda: NOW
        yield ready


async def link_chat(app: App, chat_key: str, chat_id: str, at: datetime) -> int:
    async with app.database.unit_of_work() as uow:
        case = await uow.cases.by_reference("TS0001")
        assert case is not None
        chat_ref = app.services.keyring.encrypt(chat_id)
        await uow.cases.add_link(case.id, chat_key, "telegram", chat_ref, at)
        return case.id


async def outbox(app: App) -> list[OutboxMessage]:
    async with app.database.unit_of_work() as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await uow.session.execute(query)).scalars())


class RecordingSender:
    channel = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, Outbound]] = []

    async def send(self, chat_id: str, message: Outbound) -> None:
        self.sent.append((chat_id, message))


async def test_passed_deadlines_alert_each_linked_parent_once(
    case_app: App, tmp_path: Path
) -> None:
    await seed(case_app, [ROW], tmp_path / "cases.csv", datetime(2026, 6, 2, tzinfo=UTC))
    early = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    case_id = await link_chat(case_app, "chat-early", "1001", early)
    await link_chat(case_app, "chat-late", "1002", datetime(2026, 8, 1, tzinfo=UTC))
    texts = case_app.services.texts
    # 22:00 on 23 November in the UK: both limits have passed.
    night = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    report = await check_deadlines(case_app.database, texts, night)
    assert (report.checked, report.passed) == (1, 2)
    # The parent who linked after 13 July hears only about the final plan (due 19 October).
    messages = await outbox(case_app)
    keys = sorted(m.dedupe_key for m in messages)
    assert len(keys) == 3
    assert sum(k.endswith(":chat-early") for k in keys) == 2
    assert sum(k.endswith(":chat-late") for k in keys) == 1
    assert all(k.startswith(f"case:{case_id}:due:") for k in keys)
    assert all(m.next_attempt_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC) for m in messages)
    late_final = next(m for m in messages if m.dedupe_key.endswith(":chat-late"))
    assert "Final EHC plan (20 weeks)" in late_final.html
    assert "19 October 2026" in late_final.html and "TS0001" in late_final.html
    assert "Sam" not in late_final.html
    # Running again (every hour) adds nothing.
    again = await check_deadlines(case_app.database, texts, night + timedelta(hours=1))
    assert (again.passed, again.alerts) == (0, 0)
    assert len(await outbox(case_app)) == 3
    async with case_app.database.unit_of_work() as uow:
        events = await uow.cases.history(case_id)
    assert [(e.kind, e.detail["deadline"]) for e in events if e.kind == "overdue"] == [
        ("overdue", "decision"),
        ("overdue", "final"),
    ]
    # Delivered after 08:00 to the chat each link was made from.
    sender = RecordingSender()
    assert (
        await deliver_due(case_app.database, case_app.services.keyring, sender, night)
    ).sent == 0
    morning = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    report_sent = await deliver_due(case_app.database, case_app.services.keyring, sender, morning)
    assert report_sent.sent == 3
    assert sorted(chat for chat, _ in sender.sent) == ["1001", "1001", "1002"]
    assert sender.sent[0][1].buttons[0][0].data == f"c:v:{case_id}"


async def test_no_alert_when_the_step_was_taken_or_nobody_is_linked(
    app: App, tmp_path: Path
) -> None:
    await seed(app, [ROW], tmp_path / "cases.csv", NOW)
    texts = app.services.texts
    assert (await check_deadlines(app.database, texts, NOW)).checked == 0
    decided = {**ROW, "stage": "assessing", "decision_date": "2026-07-10", "draft_date": ""}
    await seed(app, [decided], tmp_path / "v2.csv", NOW)
    await link_chat(app, "chat", "1", datetime(2026, 6, 2, tzinfo=UTC))
    report = await check_deadlines(app.database, texts, NOW)
    async with app.database.unit_of_work() as uow:
        overdue = (
            (await uow.session.execute(select(CaseEvent).where(CaseEvent.kind == "overdue")))
            .scalars()
            .all()
        )
    assert [e.detail["deadline"] for e in overdue] == ["final"]
    assert report.alerts == 1


async def test_the_hourly_job_is_registered_and_forgets_old_failures(
    app: App, tmp_path: Path
) -> None:
    job = next(j for j in scheduled_jobs() if j.name == "case-deadlines")
    assert job.interval == timedelta(hours=1)
    async with app.database.unit_of_work() as uow:
        await uow.cases.record_failure("x", NOW - timedelta(days=8), None)
        await uow.cases.record_failure("x", NOW - timedelta(days=1), None)
    result = await job.run(JobContext(services=app.services, database=app.database))
    assert getattr(result, "purged", None) == 1
    async with app.database.unit_of_work() as uow:
        left = (await uow.session.execute(select(LinkFailure))).scalars().all()
    assert len(left) == 1
