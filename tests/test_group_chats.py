"""In a group chat (the officers' or any other) a parent's flow gets one line, nothing else.

Through the real PTB Application and the fake Bot API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from telegram import Update

from sendbot.adapters.telegram import TelegramApp
from sendbot.app import App, open_app
from sendbot.config import Settings
from sendbot.storage.models import CaseLink, Conversation, Ticket
from tests.casefiles import code_for, seed
from tests.fakes.bot_api import BOT_USERNAME, OFFICERS_CHAT_ID, SENDING_METHODS, Call, FakeBotAPI
from tests.fakes.harness import TelegramChat, telegram_bot
from tests.privacy_helpers import Clock
from tests.test_escalation import CASE_ROWS, NOW, invite

MESSAGES = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "knowledge" / "messages.yaml").read_text()
)
PRIVATE_ONLY = MESSAGES["private_only"]
OTHER_GROUP = -1009999


@pytest.fixture
async def group_app(settings: Settings, tmp_path: Path) -> AsyncIterator[tuple[Settings, App]]:
    """The app with the officers' group set and a case a parent could link."""
    group_settings = settings.model_copy(update={"officers_chat_id": OFFICERS_CHAT_ID})
    async with open_app(group_settings) as app:
        app.services.clock = Clock(NOW)
        await seed(app, CASE_ROWS, tmp_path / "cases.csv", NOW)
        yield group_settings, app


async def reply_to_bot(
    api: FakeBotAPI, application: TelegramApp, chat_id: int, text: str
) -> list[Call]:
    """Someone in a group replies to one of the bot's messages there."""
    update = api.text_update(chat_id, text, user_id=622)
    update["message"]["reply_to_message"] = api.message(
        chat_id, api.bot_user(), text="(a message of the bot)"
    )
    mark = len(api.calls)
    await application.process_update(Update.de_json(update, application.bot))
    return [c for c in api.calls[mark:] if c.method in SENDING_METHODS and c.chat_id == chat_id]


def one_line(calls: list[Call]) -> None:
    """Exactly one message: the pointer to a private chat, with no buttons and no file."""
    assert [(c.method, c.text, c.keyboard) for c in calls] == [("sendMessage", PRIVATE_ONLY, [])], [
        (c.method, c.text) for c in calls
    ]


async def count(app: App, model: type) -> int:
    async with app.database.unit_of_work() as uow:
        return int(
            (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()
        )


@pytest.mark.parametrize("chat_id", [OFFICERS_CHAT_ID, OTHER_GROUP])
async def test_parent_commands_in_a_group_point_to_a_private_chat(
    group_app: tuple[Settings, App], chat_id: int
) -> None:
    settings, app = group_app
    code = await code_for(app, "TS0001", NOW)
    async with telegram_bot(settings, app) as (api, application):
        group = TelegramChat(api, application, chat_id)
        for text in (
            f"/mycase {code}",
            "/mycase",
            "/contact",
            f"@{BOT_USERNAME} My son needs help, call me on 07700 900123",
            "/mydata",
            "/deleteme",
            "/start",
            "/help",
        ):
            one_line(await group.send(text))
        one_line(await reply_to_bot(api, application, chat_id, "03/05/2015"))
        one_line(await reply_to_bot(api, application, chat_id, "Call me on 07700 900123"))
        assert await group.send("just chatting among ourselves") == []  # not to the bot
        assert api.called("sendDocument") == []
    assert await count(app, CaseLink) == 0
    assert await count(app, Ticket) == 0
    async with app.database.unit_of_work() as uow:
        states = (await uow.session.execute(select(Conversation.state))).scalars().all()
    assert set(states) <= {"idle"}


async def test_parent_buttons_pressed_in_the_officers_group_point_to_a_private_chat(
    group_app: tuple[Settings, App],
) -> None:
    settings, app = group_app
    async with telegram_bot(settings, app) as (api, application):
        group = TelegramChat(api, application, OFFICERS_CHAT_ID)
        for data in ("m:contact", "k:k:question", "m:case", "p:export", "c:a", "zz:stale"):
            one_line(await group.press_data(data))
        # Text after the presses, replying to the bot: still one line, no consent screen.
        one_line(await reply_to_bot(api, application, OFFICERS_CHAT_ID, "Call me about my son"))
    assert await count(app, Ticket) == 0


async def test_officer_commands_in_a_group_keep_their_answer_and_burn_no_invite(
    group_app: tuple[Settings, App],
) -> None:
    settings, app = group_app
    code = await invite(app)
    async with telegram_bot(settings, app) as (api, application):
        group = TelegramChat(api, application, OFFICERS_CHAT_ID)
        for text in (f"/officer {code}", "/tickets", "/nosuchcommand"):
            [reply] = await group.send(text)
            assert reply.text == MESSAGES["unknown_command"]
        officer = TelegramChat(api, application, 5151)
        joined = await officer.send(f"/officer {code}")
        assert "registered as" in joined[-1].text


async def test_the_same_commands_work_in_a_private_chat(group_app: tuple[Settings, App]) -> None:
    settings, app = group_app
    async with telegram_bot(settings, app) as (api, application):
        parent = TelegramChat(api, application, 4242)
        replies = await parent.send("/mycase")
        assert replies and PRIVATE_ONLY not in [c.text for c in replies]
        assert (await parent.send("/mydata")) and api.called("sendDocument")
