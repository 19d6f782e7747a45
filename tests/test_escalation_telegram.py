"""End to end through the real PTB Application and the fake Bot API: a parent escalates, an
officer claims and replies, the parent answers, the officer closes, the parent rates, and
nothing the parent did not consent to reaches the officers' group."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from telegram import Update

from sendbot.adapters.telegram import TelegramApp, TelegramSender
from sendbot.app import App, open_app
from sendbot.clock import FrozenClock
from sendbot.config import Settings
from sendbot.core.outbox import deliver_due
from sendbot.storage.models import Ticket
from tests.casefiles import code_for, seed
from tests.fakes.bot_api import (
    OFFICERS_CHAT_ID,
    SENDING_METHODS,
    ApiError,
    Call,
    FakeBotAPI,
    visible_text,
)
from tests.fakes.harness import TelegramChat, telegram_bot
from tests.test_escalation import CASE_ROWS, ESC, NOW, invite

PARENT = 4242
OFFICER = 5151
OTHER_OFFICER = 5252
MENU_CONTACT = "🙋 Talk to someone"
UNKNOWN = "Sorry, I don't know that command. Type /help to see what I can do."
SECRET_TEXT = "My son Maisie-Lou needs a 1:1, ring me on 07700 900123"


@pytest.fixture
async def officers_app(settings: Settings, tmp_path: Path) -> AsyncIterator[App]:
    """The app with the officers' group set, and one case a parent can link."""
    officers = settings.model_copy(update={"officers_chat_id": OFFICERS_CHAT_ID})
    async with open_app(officers, clock=FrozenClock(NOW)) as app:
        await seed(app, CASE_ROWS, tmp_path / "cases.csv", NOW)
        yield app


async def run_outbox(app: App, application: TelegramApp) -> None:
    """What the outbox job does every few seconds."""
    sender = TelegramSender(application.bot)
    await deliver_due(
        app.database, app.services.keyring, sender, app.services.clock() + timedelta(seconds=1)
    )


async def press_in_group(
    api: FakeBotAPI, application: TelegramApp, user_id: int, data: str
) -> list[Call]:
    """An officer presses a button under a message in the officers' group."""
    update = api.button_update(OFFICERS_CHAT_ID, data)
    update["callback_query"]["from"] = api.person(user_id)
    mark = len(api.calls)
    await application.process_update(Update.de_json(update, application.bot))
    calls = api.calls[mark:]
    return [c for c in calls if c.chat_id == OFFICERS_CHAT_ID and c.method in SENDING_METHODS]


async def reply_to(
    api: FakeBotAPI, application: TelegramApp, chat_id: int, replied: Call, text: str
) -> None:
    """A person replies to one of the bot's messages in their private chat."""
    update = api.text_update(chat_id, text)
    update["message"]["reply_to_message"] = api.message(
        chat_id, api.bot_user(), text=shown(replied)
    )
    await application.process_update(Update.de_json(update, application.bot))


def shown(call: Call) -> str:
    """The text a person sees in a message (its HTML parsed)."""
    return visible_text(call.text, call.params.get("parse_mode"))


def labelled(calls: list[Call], label: str) -> str:
    """The data of the button with this label in these calls."""
    for call in calls:
        for row in call.keyboard:
            for button in row:
                if button["text"] == label:
                    return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {[c.labels for c in calls]}")


async def test_escalate_claim_reply_answer_close_rate(
    settings: Settings, officers_app: App
) -> None:
    app = officers_app
    group_settings = settings.model_copy(update={"officers_chat_id": OFFICERS_CHAT_ID})
    async with telegram_bot(group_settings, app) as (api, application):
        parent = TelegramChat(api, application, PARENT)
        officer = TelegramChat(api, application, OFFICER)
        # The parent links a case, which they will choose NOT to share.
        await parent.send(f"/mycase {await code_for(app, 'TS0001', NOW)}")
        await parent.send("03/05/2015")
        # Talk to someone, a question, the text, the consent screen, Send.
        await parent.send("/start")
        kinds = await parent.press(MENU_CONTACT)
        assert ESC["kind_buttons"]["question"] in kinds[-1].labels
        await parent.press(ESC["kind_buttons"]["question"])
        consent = await parent.send(SECRET_TEXT)
        screen = consent[-1]
        assert "07700 900123" in shown(screen)  # the parent sees exactly what they wrote
        assert "TS0001" not in shown(screen).replace("Share case ref TS0001", "")
        assert "⬜ Share case ref TS0001" in screen.labels
        # Ticking and unticking the case replaces the consent screen in place.
        ticked = await parent.press("⬜ Share case ref TS0001")
        assert ticked[-1].method == "editMessageText" and "TS0001" in shown(ticked[-1])
        unticked = await parent.press("☑️ Share case ref TS0001")
        assert "Case reference:" not in shown(unticked[-1])
        sent = await parent.press(ESC["consent"]["send"])
        ticket_ref = re.findall(r"T-[0-9A-Z]{6}", shown(sent[-1]))[0]
        # The officer joins, the summary reaches the group, the officer claims.
        joined = await officer.send(f"/officer {await invite(app)}")
        assert "registered as" in shown(joined[-1])
        await run_outbox(app, application)
        [summary] = [c for c in api.sent(OFFICERS_CHAT_ID)]
        assert ticket_ref in shown(summary) and ESC["kinds"]["question"] in shown(summary)
        claim = labelled([summary], ESC["group"]["claim"])
        claimed = await press_in_group(api, application, OFFICER, claim)
        # The summary is replaced in place: it says who claimed it, and its button is gone.
        assert claimed[-1].method == "editMessageText" and claimed[-1].labels == []
        assert f"{ticket_ref} was claimed by" in shown(claimed[-1])
        assert ESC["kinds"]["question"] in shown(claimed[-1])
        # Someone in the group who is not an officer gets the unknown-command answer.
        lost = await press_in_group(api, application, OTHER_OFFICER, claim)
        assert shown(lost[-1]) == UNKNOWN
        await run_outbox(app, application)
        full = api.sent(OFFICER)[-1]
        assert SECRET_TEXT in shown(full) and "TS0001" not in shown(full)
        # The officer replies to the ticket's message; the parent gets it.
        await reply_to(api, application, OFFICER, full, "Yes: ask the SENCO for a meeting.")
        await run_outbox(app, application)
        answer = api.sent(PARENT)[-1]
        assert "Yes: ask the SENCO for a meeting." in shown(answer)
        assert "Reply from a SEND officer" in shown(answer)
        # The parent answers with the Add button.
        await parent.press_data(labelled([answer], ESC["parent"]["add_button"]))
        added = await parent.send("Thanks, the meeting is on Friday.")
        assert ticket_ref in shown(added[-1])
        await run_outbox(app, application)
        assert "Thanks, the meeting is on Friday." in shown(api.sent(OFFICER)[-1])
        # The officer closes; the parent rates.
        closed = await officer.send(f"/close {ticket_ref}")
        assert "is closed" in shown(closed[-1])
        await run_outbox(app, application)
        rate = api.sent(PARENT)[-1]
        assert ticket_ref in shown(rate)
        thanks = await parent.press_data(labelled([rate], ESC["rating"]["r5"]))
        assert shown(thanks[-1]) == ESC["parent"]["rated"]
    async with app.database.unit_of_work() as uow:
        ticket = await uow.tickets.by_reference(ticket_ref)
        assert isinstance(ticket, Ticket)
        assert (ticket.status, ticket.rating, ticket.case_id) == ("closed", 5, None)
    # Nothing the parent did not consent to reached the group: not the case, not their id,
    # not their name or phone number, not the text beyond a redacted excerpt.
    group_text = "\n".join(shown(c) + " ".join(c.labels) for c in api.sent(OFFICERS_CHAT_ID))
    for leaked in ("TS0001", str(PARENT), "Maisie", "07700", "900123", "Parent", "Friday"):
        assert leaked not in group_text, leaked
    assert all(c.params.get("parse_mode") == "HTML" for c in api.sent(OFFICERS_CHAT_ID))


async def test_a_reply_to_a_parent_who_blocked_the_bot_is_kept_undelivered(
    settings: Settings, officers_app: App
) -> None:
    app = officers_app
    group_settings = settings.model_copy(update={"officers_chat_id": OFFICERS_CHAT_ID})
    async with telegram_bot(group_settings, app) as (api, application):
        parent = TelegramChat(api, application, PARENT)
        officer = TelegramChat(api, application, OFFICER)
        await parent.send("/contact")
        await parent.press(ESC["kind_buttons"]["complaint"])
        await parent.send("Nobody answers the phone.")
        sent = await parent.press(ESC["consent"]["send"])
        ticket_ref = re.findall(r"T-[0-9A-Z]{6}", shown(sent[-1]))[0]
        await officer.send(f"/officer {await invite(app)}")
        await officer.send(f"/claim {ticket_ref}")
        await run_outbox(app, application)
        await officer.send(f"/reply {ticket_ref} We are sorry; here is a direct line.")
        api.fail("sendMessage", ApiError(403, "Forbidden: bot was blocked by the user"))
        await run_outbox(app, application)
        view = await officer.send(f"/ticket {ticket_ref}")
        assert ESC["delivery"]["undelivered"] in shown(view[-1])
        assert "We are sorry; here is a direct line." in shown(view[-1])
