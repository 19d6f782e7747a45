"""Leads' reports (page and CSV), knowledge gaps, the audit viewer and case lookup."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sendbot.app import App, open_app
from sendbot.clock import FrozenClock
from sendbot.config import Settings
from sendbot.core.inbox.reports import report, working_days_between
from sendbot.storage.models import AuditRecord, Ticket
from tests.casefiles import seed
from tests.consoleclient import signed_in_officer
from tests.test_escalation import CASE_ROWS, Person, escalate

LEAD = "lee.lead@testshire.gov.uk"


@pytest.fixture
async def console_app(
    settings: Settings, frozen_clock: FrozenClock, tmp_path: Path
) -> AsyncIterator[App]:
    plain = settings.model_copy(update={"web_cookie_secure": False, "officers_chat_id": -100})
    async with open_app(plain, clock=frozen_clock) as app:
        await seed(app, CASE_ROWS, tmp_path / "cases.csv", frozen_clock())
        yield app


def test_working_days_skip_weekends() -> None:
    friday = datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert working_days_between(friday, friday + timedelta(hours=3)) == 0
    assert working_days_between(friday, friday + timedelta(days=3)) == 1  # Monday


async def test_the_report_counts_met_missed_overdue_and_ratings(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    answered, _ = await escalate(Person(console_app, "501"))
    late, _ = await escalate(Person(console_app, "502"), kind="complaint")
    async with signed_in_officer(console_app, frozen_clock, LEAD, "lead") as lead:
        await lead.get(f"/officers/tickets/{answered}")
        await lead.post(f"/officers/tickets/{answered}/reply", {"reply": "Here is the answer."})
        await lead.post(f"/officers/tickets/{answered}/close", {})
    async with console_app.database.unit_of_work() as uow:
        ticket = (
            await uow.session.execute(select(Ticket).where(Ticket.reference == answered))
        ).scalar_one()
        ticket.rating = 4
    frozen_clock.advance(timedelta(days=40))  # the complaint is now long overdue
    async with console_app.database.unit_of_work() as uow:
        lines = await report(uow, frozen_clock())
    total = next(line for line in lines if line.kind == "all")
    assert (total.received, total.met, total.missed, total.overdue_now) == (2, 1, 1, 1)
    assert total.met_percent == 50.0 and total.median_response == 0
    assert total.ratings == [4]
    complaint = next(line for line in lines if line.kind == "complaint")
    assert (complaint.received, complaint.missed, complaint.overdue_now) == (1, 1, 1)
    assert late


async def test_report_page_csv_and_gaps_for_a_lead(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    await escalate(Person(console_app, "501"))
    async with signed_in_officer(console_app, frozen_clock, LEAD, "lead") as lead:
        page = await lead.get("/officers/reports")
        assert "Tickets received by month" in page and "2026-11" in page
        response = await lead.client.get("/officers/reports.csv")
        assert response.status == 200 and response.content_type == "text/csv"
        assert response.headers["Cache-Control"] == "no-store"
        rows = list(csv.DictReader(io.StringIO(await response.text())))
        assert rows[0]["month"] == "2026-11" and rows[0]["kind"] == "all"
        assert rows[0]["received"] == "1"
        assert "Knowledge gaps" in await lead.get("/officers/gaps")
        audit_page = await lead.get("/officers/audit")
        assert "Audit log intact" in audit_page and "report.export" in audit_page


async def test_case_lookup_shows_the_clock_and_is_audited(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    async with signed_in_officer(console_app, frozen_clock, "sam@testshire.gov.uk") as officer:
        page = await officer.get("/officers/cases?reference=TS0001")
        assert "Statutory clock" in page and "Maisie" in page and "6 weeks" in page
        await officer.get("/officers/cases?reference=NOPE", status=404)
    async with console_app.database.unit_of_work() as uow:
        rows = (await uow.session.execute(select(AuditRecord))).scalars()
        reads = [(r.action, r.subject_id) for r in rows if r.subject_type == "case"]
    assert ("case.read", "TS0001") in reads and ("case.lookup_missed", "NOPE") in reads


async def test_a_lead_records_what_we_did_about_local_offer_feedback(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    await escalate(
        Person(console_app, "501"), kind="offer", text="The Local Offer is hard to read."
    )
    async with signed_in_officer(console_app, frozen_clock, LEAD, "lead") as lead:
        page = await lead.get("/officers/feedback")
        assert "The Local Offer is hard to read." in page
        reference = page.split('<section class="feedback" aria-labelledby="')[1].split('"')[0]
        saved = await lead.post(
            f"/officers/feedback/{reference}", {"did": "We rewrote it in plain English."}
        )
        assert saved.status == 303
        again = await lead.get("/officers/feedback")
        assert "We rewrote it in plain English." in again and f"about {reference}" in again
    async with signed_in_officer(console_app, frozen_clock, "o@testshire.gov.uk") as officer:
        await officer.get("/officers/feedback", status=403)
