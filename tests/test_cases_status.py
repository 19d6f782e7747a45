"""The status view: the stage in plain English and each time limit, on time or late."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sendbot.adapters.terminal import TerminalChat
from sendbot.app import App, open_app
from sendbot.config import Settings
from sendbot.core.messages import Inbound, InboundKind, Outbound
from tests.casefiles import code_for, seed

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ON_TIME = {
    "case_ref": "OK1",
    "child_first_name": "Sam",
    "child_dob": "2015-05-03",
    "request_date": "2026-09-07",
    "stage": "assessing",
    "decision_date": "2026-10-12",
}
LATE = {
    "case_ref": "LATE1",
    "child_first_name": "Ava",
    "child_dob": "2014-02-01",
    "request_date": "2026-03-02",
    "stage": "draft_issued",
    "decision_date": "2026-04-20",
    "draft_date": "2026-09-01",
}


def add_entry(knowledge_dir: Path, entry_id: str, title: str) -> None:
    """Copy a test entry under another id, so that a button for it can appear."""
    source = (knowledge_dir / "national" / "sendiass.md").read_text()
    text = source.replace("id: sendiass", f"id: {entry_id}").replace(
        "title: SENDIASS, free advice on SEND", f"title: {title}"
    )
    (knowledge_dir / "national" / f"{entry_id}.md").write_text(text)


@pytest.fixture
async def app(settings: Settings, knowledge_dir: Path, tmp_path: Path) -> AsyncIterator[App]:
    add_entry(knowledge_dir, "ehcp-delay", "When the council is late")
    async with open_app(settings) as ready:
        ready.services.clock = lambda: NOW
        yield ready


async def status_of(app: App, row: dict[str, str], born: str, tmp_path: Path) -> Outbound:
    await seed(app, [row], tmp_path / f"{row['case_ref']}.csv", NOW)
    code = await code_for(app, row["case_ref"], NOW)
    parent = TerminalChat(app.dialogue, chat_id=row["case_ref"], out=io.StringIO())
    await app.dialogue.handle(Inbound("terminal", row["case_ref"], InboundKind.BUTTON, "c:a"))
    await parent.send(code)
    replies = await parent.send(born)
    assert "linked to" in replies[0].html
    return replies[1]


async def test_status_of_a_case_on_time(app: App, tmp_path: Path) -> None:
    status = await status_of(app, ON_TIME, "3/5/2015", tmp_path)
    html = status.html
    assert "📁 <b>Sam's case</b> (ref OK1)" in html
    assert "Assessment under way. The council agreed to assess Sam's needs" in html
    assert "counted from the request received on 7 September 2026" in html
    assert (
        "✅ Decision whether to assess (6 weeks): due by 19 October 2026, "
        "done on 12 October 2026, on time." in html
    )
    assert "🕒 Final EHC plan (20 weeks): due by 25 January 2027, 9 weeks and 0 days" not in html
    assert "🕒 Final EHC plan (20 weeks): due by 25 January 2027, 9 weeks from today." in html
    assert "late" not in html
    entries = [b.data for b in status.flat_buttons if b.data.startswith("e:")]
    assert entries == ["e:ehcp-timeline"]


async def test_status_of_a_late_case_says_by_how_much(app: App, tmp_path: Path) -> None:
    status = await status_of(app, LATE, "01/02/2014", tmp_path)
    html = status.html
    assert "Draft plan sent" in html
    # Decision due 13 April 2026, made 20 April: one week late.
    assert "due by 13 April 2026, done on 20 April 2026, 1 week late." in html
    # Final plan due 20 July 2026; on 23 November 2026 it is 126 days (18 weeks) late.
    assert (
        "❗ Final EHC plan (20 weeks): due by 20 July 2026 and not done yet: "
        "18 weeks late so far." in html
    )
    entries = [b.data for b in status.flat_buttons if b.data.startswith("e:")]
    # Only entries the knowledge base holds: ehcp-delay (added) yes, complain-council no.
    assert entries == ["e:ehcp-delay", "e:ehcp-timeline"]


async def test_a_recorded_exception_is_noted(app: App, tmp_path: Path) -> None:
    row = {**LATE, "case_ref": "EXC1", "exception": "d"}
    html = (await status_of(app, row, "1 Feb 2014", tmp_path)).html
    assert "exception to the time limits, reason (d)" in html
    assert "away from the area for 4 weeks or more" in html


async def test_status_after_the_final_plan_shows_review_and_transfer(
    app: App, tmp_path: Path
) -> None:
    row = {
        "case_ref": "FIN1",
        "child_first_name": "Leo",
        "child_dob": "2015-10-01",
        "request_date": "2025-06-02",
        "stage": "final_issued",
        "decision_date": "2025-07-07",
        "draft_date": "2025-09-15",
        "final_date": "2025-10-13",
        "next_transfer_date": "2027-09-01",
    }
    html = (await status_of(app, row, "1/10/2015", tmp_path)).html
    assert "Final EHC plan (20 weeks): due by 20 October 2025, done on 13 October 2025" in html
    assert "Annual review (within 12 months): due by 13 October 2026 and not done yet" in html
    assert "before 15 February): due by 14 February 2027, 11 weeks and 6 days from today." in html


async def test_a_case_that_ended_shows_no_clock(app: App, tmp_path: Path) -> None:
    row = {**ON_TIME, "case_ref": "END1", "stage": "ceased"}
    html = (await status_of(app, row, "3/5/2015", tmp_path)).html
    assert "stopped maintaining Sam's EHC plan" in html
    assert "Time limits" not in html


async def test_names_are_escaped(app: App, tmp_path: Path) -> None:
    row = {**ON_TIME, "case_ref": "ESC1", "child_first_name": "<b>Jo"}
    html = (await status_of(app, row, "3/5/2015", tmp_path)).html
    assert "&lt;b&gt;Jo's case" in html
