"""Linking a case through the terminal chat: codes, dates of birth, pauses, limits, unlinking."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from sendbot.adapters.terminal import TerminalChat
from sendbot.app import App, open_app
from sendbot.config import Settings
from sendbot.core.cases.linking import FAILURE_WINDOW, MAX_FAILURES, paused_until, tries_left
from sendbot.core.messages import Inbound, InboundKind, Outbound
from sendbot.storage.models import CaseLink, LinkFailure
from tests.casefiles import code_for, seed

MESSAGES = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "knowledge" / "messages.yaml").read_text()
)
CASES = MESSAGES["cases"]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ROWS = [
    {
        "case_ref": "TS0001",
        "child_first_name": "Sam",
        "child_dob": "2015-05-03",
        "request_date": "2026-06-01",
        "stage": "assessing",
        "decision_date": "2026-07-10",
    },
    {
        "case_ref": "TS0002",
        "child_first_name": "Ava",
        "child_dob": "2012-01-31",
        "request_date": "2025-01-06",
        "stage": "final_issued",
        "decision_date": "2025-02-10",
        "draft_date": "2025-04-28",
        "final_date": "2025-05-20",
    },
]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


async def ready(settings: Settings, clock: Clock, tmp_path: Path) -> AsyncIterator[App]:
    async with open_app(settings) as app:
        app.services.clock = clock
        await seed(app, ROWS, tmp_path / "cases.csv", NOW)
        yield app


@pytest.fixture
async def app(settings: Settings, clock: Clock, tmp_path: Path) -> AsyncIterator[App]:
    """The app on SQLite with two cases and a hand-moved clock."""
    async for ready_app in ready(settings, clock, tmp_path):
        yield ready_app


@pytest.fixture
async def both_app(
    settings: Settings, database_url: str, clock: Clock, tmp_path: Path
) -> AsyncIterator[App]:
    """The same on SQLite and on PostgreSQL."""
    async for ready_app in ready(
        settings.model_copy(update={"database_url": database_url}), clock, tmp_path
    ):
        yield ready_app


def chat(app: App, who: str) -> TerminalChat:
    return TerminalChat(app.dialogue, chat_id=who, out=io.StringIO())


async def link(app: App, who: str, code: str, born: str) -> list[Outbound]:
    """Press 'Link another child' (or 'My case'), type the code, then the date of birth."""
    parent = chat(app, who)
    await app.dialogue.handle(Inbound("terminal", who, InboundKind.BUTTON, "c:a"))
    await parent.send(code)
    return await parent.send(born)


def text(replies: list[Outbound]) -> str:
    return "\n".join(r.html for r in replies)


async def links(app: App) -> int:
    async with app.database.unit_of_work() as uow:
        query = select(func.count()).select_from(CaseLink)
        return int((await uow.session.execute(query)).scalar_one())


@pytest.mark.parametrize("born", ["03/05/2015", "3/5/15", "3 May 2015", "2015-05-03", "3.5.2015"])
async def test_linking_with_each_way_of_writing_the_date(app: App, born: str) -> None:
    code = await code_for(app, "TS0001", NOW)
    parent = chat(app, "parent")
    await parent.send("/start")
    case_button = str(list(MESSAGES["menu"]).index("case") + 1)
    asked = await parent.send(case_button)
    assert asked[0].html == CASES["ask_code"]
    typed = f"  {code.lower().replace('-', ' ')} "  # as a parent might type it
    assert (await parent.send(typed))[0].html == CASES["ask_dob"]
    replies = await parent.send(born)
    assert replies[0].html.startswith("✅ Done: this chat is linked to Sam's case")
    status = replies[1].html
    assert "Sam's case</b> (ref TS0001)" in status
    assert "Assessment under way" in status
    assert "Ava" not in text(replies) and "TS0002" not in text(replies)


async def test_link_and_status_on_both_databases(both_app: App) -> None:
    code = await code_for(both_app, "TS0002", NOW)
    replies = await link(both_app, "p1", code, "31 January 2012")
    assert "Ava's case" in replies[1].html
    again = await chat(both_app, "p1").send("/mycase")
    assert "Ava's case" in again[0].html and "Final plan issued" not in again[0].html


async def test_a_date_that_cannot_be_read_is_asked_again_without_counting(app: App) -> None:
    code = await code_for(app, "TS0001", NOW)
    parent = chat(app, "parent")
    await parent.send("/mycase")
    assert (await parent.send("not a code"))[0].html == CASES["bad_code_format"]
    await parent.send(code)
    assert (await parent.send("May 2015"))[0].html == CASES["dob_unreadable"]
    assert (await parent.send("3/5/2031"))[0].html == CASES["dob_future"]
    assert (await parent.send("3/5/1990"))[0].html == CASES["dob_too_old"]
    assert "linked to Sam's case" in (await parent.send("3/5/2015"))[0].html
    async with app.database.unit_of_work() as uow:
        failures = await uow.session.execute(select(func.count()).select_from(LinkFailure))
        assert failures.scalar_one() == 0


async def test_every_failure_gets_the_same_message(app: App, clock: Clock) -> None:
    right = await code_for(app, "TS0001", NOW)
    used = await code_for(app, "TS0002", NOW)
    await link(app, "owner", used, "31/01/2012")
    expired = await code_for(app, "TS0001", NOW - timedelta(days=31))
    attempts = {
        "wrong code": ("ZZZZZ-ZZZZZ", "03/05/2015"),
        "wrong date": (right, "04/05/2015"),
        "used code": (used, "31/01/2012"),
        "expired code": (expired, "03/05/2015"),
        "other child's date": (right, "31/01/2012"),
    }
    answers = {}
    for index, (why, (code, born)) in enumerate(attempts.items()):
        answers[why] = text(await link(app, f"stranger-{index}", code, born))
    assert len(set(answers.values())) == 1, answers
    assert "Tries left today: 4" in answers["wrong code"]
    assert await links(app) == 1


async def test_five_failures_pause_linking_even_with_the_right_code(
    app: App, clock: Clock, knowledge_dir: Path
) -> None:
    right = await code_for(app, "TS0001", NOW)
    parent = chat(app, "guesser")
    await parent.send("/mycase")
    for attempt in range(4):
        await parent.send(f"ABCDE-2345{attempt + 6}")
        assert "Tries left today" in text(await parent.send("03/05/2015"))
    await parent.send("ABCDE-23452")
    paused = text(await parent.send("03/05/2015"))
    assert "paused case linking for this chat until 10:00am on 24 November 2026" in paused
    assert "SENDIASS" in paused and "SEN team" in paused
    # The right code and date now change nothing, and nothing says they were right.
    again = chat(app, "guesser")
    retry = [await again.send(line) for line in ("/mycase", right, "03/05/2015")]
    assert "paused" in text(retry[0])
    assert all("linked to" not in text(r) for r in retry)
    assert await chat(app, "guesser").send(f"/mycase {right}") == retry[0]
    assert await links(app) == 0
    clock.now = NOW + timedelta(hours=23)
    assert "paused" in text(await chat(app, "guesser").send("/mycase"))
    clock.now = NOW + timedelta(hours=24, minutes=1)
    assert "linked to Sam's case" in text(await link(app, "guesser", right, "03/05/2015"))


async def test_the_pause_message_names_the_councils_contacts(
    settings: Settings, clock: Clock, tmp_path: Path, knowledge_dir: Path
) -> None:
    pack = knowledge_dir / "local" / "testshire" / "council.yaml"
    data = yaml.safe_load(pack.read_text())
    source = {"title": "Fictional", "url": "https://testshire.example.org"}
    data["contacts"]["sen_team"] = {
        "name": "Testshire SEN team",
        "phone": "0100 000 0000",
        "email": "sen@testshire.example.org",
        "url": "https://testshire.example.org/sen",
        "source": source,
    }
    data["contacts"]["sendiass"] = {"name": "Testshire SENDIASS", "url": None, "source": source}
    pack.write_text(yaml.safe_dump(data))
    async for app in ready(settings, clock, tmp_path):
        parent = chat(app, "guesser")
        for _ in range(5):
            await parent.send("/mycase")
            await parent.send("ABCDE-23456")
            replies = await parent.send("03/05/2015")
        paused = text(replies)
        assert "<b>Testshire SEN team</b>: 0100 000 0000, sen@testshire.example.org" in paused
        assert "<b>Testshire SENDIASS</b>" in paused
        assert [b.data for b in replies[-1].flat_buttons] == ["e:sendiass", "m:menu"]


async def test_a_real_code_tried_with_wrong_dates_from_many_chats_is_revoked(app: App) -> None:
    code = await code_for(app, "TS0001", NOW)
    for index in range(5):
        await link(app, f"attacker-{index}", code, f"0{index + 1}/01/2015")
    assert "Tries left" in text(await link(app, "parent", code, "03/05/2015"))
    assert await links(app) == 0


async def test_two_parents_link_and_a_third_is_refused_kindly(app: App) -> None:
    codes = [await code_for(app, "TS0001", NOW) for _ in range(3)]
    assert "linked to Sam's case" in text(await link(app, "mum", codes[0], "3/5/2015"))
    assert "linked to Sam's case" in text(await link(app, "dad", codes[1], "3/5/2015"))
    refused = text(await link(app, "third", codes[2], "3/5/2015"))
    assert "already linked to 2 people" in refused
    assert "SEN team" in refused and "has not been used up" in refused
    assert await links(app) == 2
    # When a parent unlinks, the third person's code still works.
    mum = chat(app, "mum")
    confirm = await mum.send("/unlink")
    assert "Unlink Sam's case (ref TS0001)" in confirm[0].html
    assert "no longer linked" in text(await mum.send("1"))
    assert "linked to Sam's case" in text(await link(app, "third", codes[2], "3/5/2015"))


async def test_the_limit_is_a_setting(settings: Settings, clock: Clock, tmp_path: Path) -> None:
    async for app in ready(settings.model_copy(update={"case_max_parents": 1}), clock, tmp_path):
        codes = [await code_for(app, "TS0001", NOW) for _ in range(2)]
        await link(app, "mum", codes[0], "3/5/2015")
        assert "already linked to 1 people" in text(await link(app, "dad", codes[1], "3/5/2015"))


async def test_a_code_works_once(app: App) -> None:
    code = await code_for(app, "TS0001", NOW)
    assert "linked to" in text(await link(app, "mum", code, "3/5/2015"))
    assert "Tries left" in text(await link(app, "dad", code, "3/5/2015"))
    assert "Tries left" in text(await link(app, "mum", code, "3/5/2015"))
    assert await links(app) == 1


async def test_codes_expire_after_the_set_number_of_days(app: App, clock: Clock) -> None:
    code = await code_for(app, "TS0001", NOW, days=30)
    clock.now = NOW + timedelta(days=30, seconds=1)
    assert "Tries left" in text(await link(app, "late", code, "3/5/2015"))
    fresh = await code_for(app, "TS0001", clock.now, days=30)
    clock.now += timedelta(days=29)
    assert "linked to" in text(await link(app, "late", fresh, "3/5/2015"))


async def test_a_parent_with_two_children_chooses_which_to_see(app: App) -> None:
    await link(app, "parent", await code_for(app, "TS0001", NOW), "3/5/2015")
    both = await link(app, "parent", await code_for(app, "TS0002", NOW), "31/1/2012")
    assert "Ava's case" in both[1].html and "Sam" not in both[1].html
    parent = chat(app, "parent")
    choice = await parent.send("/mycase")
    assert choice[0].html == CASES["choose"]
    labels = [b.label for b in choice[0].flat_buttons]
    assert labels[:2] == ["Sam (ref TS0001)", "Ava (ref TS0002)"]
    sam = await parent.send("1")
    assert "Sam's case" in sam[0].html and "Ava" not in sam[0].html
    assert CASES["switch"] in [b.label for b in sam[0].flat_buttons]
    # Two cases to unlink from: choose, confirm, and the other stays.
    assert (await parent.send("/unlink"))[0].html == CASES["unlink_choose"]
    await parent.send("2")
    assert "no longer linked" in text(await parent.send("1"))
    left = await parent.send("/mycase")
    assert "Sam's case" in left[0].html


async def test_a_chat_never_sees_a_case_it_is_not_linked_to(app: App) -> None:
    await link(app, "parent", await code_for(app, "TS0001", NOW), "3/5/2015")
    async with app.database.unit_of_work() as uow:
        other = await uow.cases.by_reference("TS0002")
    assert other is not None
    for data in (f"c:v:{other.id}", f"c:u:{other.id}", f"c:x:{other.id}", "c:v:x", "c:zz"):
        replies = await app.dialogue.handle(Inbound("terminal", "parent", InboundKind.BUTTON, data))
        assert replies[0].html == MESSAGES["stale_button"], data
        assert "Ava" not in text(replies) and "TS0002" not in text(replies)
    stranger = await app.dialogue.handle(
        Inbound("terminal", "stranger", InboundKind.BUTTON, f"c:v:{other.id}")
    )
    assert stranger[0].html == MESSAGES["stale_button"]
    assert await links(app) == 1


async def test_unlink_with_nothing_linked_and_keeping_a_link(app: App) -> None:
    parent = chat(app, "parent")
    assert (await parent.send("/unlink"))[0].html == CASES["none_linked"]
    await link(app, "parent", await code_for(app, "TS0001", NOW), "3/5/2015")
    await parent.send("/unlink")
    assert (await parent.send("2"))[0].html == CASES["kept"]
    assert await links(app) == 1


async def test_mycase_with_the_code_given_and_cancel(app: App) -> None:
    code = await code_for(app, "TS0001", NOW)
    parent = chat(app, "parent")
    assert (await parent.send(f"/mycase {code}"))[0].html == CASES["ask_dob"]
    await parent.send("/cancel")
    # After /cancel, a date is an ordinary message, not a date of birth.
    await parent.send("3/5/2015")
    assert await links(app) == 0


async def test_a_chat_pause_ends_exactly_when_its_oldest_counted_failure_is_a_window_old(
    app: App,
) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    async with app.database.unit_of_work() as uow:
        for n in range(MAX_FAILURES):
            await uow.cases.record_failure("chat", start + timedelta(minutes=n), None)
    async with app.database.unit_of_work() as uow:
        last = start + timedelta(minutes=MAX_FAILURES - 1)
        assert await paused_until(uow, "chat", last) == start + FAILURE_WINDOW
        assert await tries_left(uow, "chat", last) == 0
        # The boundary is the same as the flood rules' (core/floods.py): a failure exactly
        # a window old no longer counts.
        assert await paused_until(uow, "chat", start + FAILURE_WINDOW) is None
        assert await tries_left(uow, "chat", start + FAILURE_WINDOW) == 1
        assert await paused_until(uow, "other chat", last) is None
