"""A parent's rights end to end: /privacy, /mydata and /deleteme."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sendbot.app import App, open_app
from sendbot.config import Settings
from sendbot.core.audit import verify
from sendbot.core.messages import Outbound
from sendbot.core.outbox import enqueue
from sendbot.storage.models import (
    AuditRecord,
    Case,
    CaseLink,
    Conversation,
    LinkFailure,
    OutboxMessage,
    Ticket,
    TicketMessage,
)
from tests.privacy_helpers import CHILD, NOW, Clock, Parent, linked_parent, officer_reads

QUESTION = "Oliver's school keeps sending him home, call me on 07700 900123"


@pytest.fixture
async def app(settings: Settings, database_url: str) -> AsyncIterator[App]:
    """The app on SQLite and on PostgreSQL, with a fixed clock."""
    async with open_app(settings.model_copy(update={"database_url": database_url})) as ready:
        ready.services.clock = Clock()
        yield ready


def export_of(replies: list[Outbound]) -> dict[str, Any]:
    """The JSON file in the replies."""
    documents = [r.document for r in replies if r.document is not None]
    assert len(documents) == 1
    name, content = documents[0]
    assert name.endswith(".json")
    data: dict[str, Any] = json.loads(content)
    return data


async def count(app: App, model: Any, *where: Any) -> int:
    async with app.database.unit_of_work() as uow:
        query = select(func.count()).select_from(model).where(*where)
        return int((await uow.session.execute(query)).scalar_one())


async def test_privacy_notice_says_who_why_what_how_long_and_who_sees(app: App) -> None:
    parent = Parent(app, "1001")
    replies = await parent.send("/privacy")
    text = parent.text()
    assert app.services.kb.council_name in text  # the controller, from the local pack
    assert "6(1)(e)" in text and "public task" in text
    assert "9(2)(g)" in text and "substantial public interest" in text
    settings = app.services.settings
    for days in (settings.state_idle_days, settings.gap_days, settings.closed_ticket_days):
        assert f"{days} days" in text
    assert "social media" in text and "public posts" in text
    assert "/mydata" in text and "/deleteme" in text
    data = [b.data for r in replies for b in r.flat_buttons]
    assert "p:data" in data and "p:delete" in data
    await parent.press("m:privacy")
    assert parent.text() == text


async def test_mydata_holds_everything_including_who_opened_a_ticket(
    app: App, tmp_path: Path
) -> None:
    parent = await linked_parent(app, tmp_path)
    reference = await parent.ask_for_a_person(QUESTION, share_case=True)
    officer = await officer_reads(app, reference, name="Jo Officer")
    other = Parent(app, "2002")
    await other.send("/start")

    data = export_of(await parent.send("/mydata"))
    assert data["about"]["controller"] == app.services.kb.council_name
    (case,) = data["linked_cases"]
    assert (case["reference"], case["child_first_name"]) == ("TS0001", CHILD)
    assert "2015" not in json.dumps(case)  # the date of birth is not kept at all
    (ticket,) = data["tickets"]
    assert ticket["reference"] == reference
    assert ticket["your_message"] == QUESTION
    assert ticket["case_shared"] == "TS0001"
    (opened,) = ticket["opened_by_officers"]
    assert opened["officer"] == f"officer #{officer.id}"  # by role: officer_display is role
    assert opened["action"] == "ticket.read"
    assert opened["at"].startswith(NOW.date().isoformat())
    app.services.settings = app.services.settings.model_copy(
        update={"officer_display": "first_name"}
    )
    named = export_of(await parent.send("/mydata"))
    assert named["tickets"][0]["opened_by_officers"][0]["officer"] == "Jo Officer"

    theirs = export_of(await other.press("p:data"))
    assert theirs["linked_cases"] == [] and theirs["tickets"] == []
    assert QUESTION not in json.dumps(theirs)


async def test_deleteme_asks_first_and_a_stale_or_forged_button_erases_nothing(
    app: App, tmp_path: Path
) -> None:
    parent = await linked_parent(app, tmp_path)
    await parent.send("/deleteme")
    await parent.press("p:keep")
    await parent.send("/deleteme")
    await parent.send("yes delete it")  # typing does not confirm
    await parent.press("p:erase:00000000")  # a guessed token does not confirm
    await parent.press("p:erase:")
    assert await count(app, CaseLink, CaseLink.chat_key == parent.chat_key) == 1
    assert await count(app, Conversation, Conversation.chat_key == parent.chat_key) == 1


async def test_deleteme_erases_unlinks_and_empties_tickets_keeping_counts(
    app: App, tmp_path: Path
) -> None:
    parent = await linked_parent(app, tmp_path)
    reference = await parent.ask_for_a_person(QUESTION, share_case=True)
    await officer_reads(app, reference)
    async with app.database.unit_of_work() as uow:
        await enqueue(
            uow,
            dedupe_key="test:waiting",
            channel=parent.channel,
            chat_ref=app.services.keyring.encrypt(parent.chat_id),
            message=Outbound("A reply about Oliver"),
            keyring=app.services.keyring,
        )
    await parent.send("/mycase ABCDE-23456")  # a failed link attempt is kept, erasure or not
    await parent.send("2015-05-04")
    failures = await count(app, LinkFailure, LinkFailure.chat_key == parent.chat_key)
    assert failures == 1
    tickets_before = await count(app, Ticket)

    await parent.send("/deleteme")
    done = await parent.press_shown("p:erase:")
    assert "E-" in done[0].html

    key = parent.chat_key
    assert await count(app, Conversation, Conversation.chat_key == key) == 0
    assert await count(app, CaseLink, CaseLink.chat_key == key) == 0
    assert await count(app, Case) == 2  # the council's own records stay
    assert await count(app, Ticket) == tickets_before  # counts are kept
    assert await count(app, Ticket, Ticket.parent_key == key) == 0
    assert await count(app, Ticket, Ticket.body.is_not(None)) == 0
    assert await count(app, TicketMessage, TicketMessage.body.is_not(None)) == 0
    assert await count(app, OutboxMessage, OutboxMessage.dedupe_key == "test:waiting") == 0
    assert await count(app, LinkFailure, LinkFailure.chat_key == key) == failures
    assert await count(app, AuditRecord, AuditRecord.action == "privacy.erasure") == 1
    async with app.database.unit_of_work() as uow:
        assert (await verify(uow.session, app.services.keyring)).ok

    after = export_of(await parent.send("/mydata"))
    assert after["linked_cases"] == [] and after["tickets"] == []
    assert after["messages_to_you"] == []


async def test_mydata_and_deleteme_through_telegram(settings: Settings, tmp_path: Path) -> None:
    from tests.fakes.harness import TelegramChat, telegram_bot

    async with open_app(settings) as ready:
        ready.services.clock = Clock()
        async with telegram_bot(settings, ready) as (api, application):
            chat = TelegramChat(api, application, 7350012345)
            await chat.send("/start")
            await chat.send("/mydata")
            (document,) = api.called("sendDocument")
            assert document.chat_id == chat.chat_id
            name, content = next(iter(document.files.values()))
            assert name.endswith(".json") and json.loads(content)["about"]["controller"]
            asked = await chat.send("/deleteme")
            erase = next(
                str(b["callback_data"])
                for c in asked
                for row in c.keyboard
                for b in row
                if str(b.get("callback_data", "")).startswith("p:erase:")
            )
            done = await chat.press_data(erase)
            assert "E-" in done[-1].text
        key = ready.services.keyring.chat_key("telegram", str(chat.chat_id))
        async with ready.database.unit_of_work() as uow:
            assert await uow.conversations.get(key) is None
