"""The Telegram adapter through the real PTB Application, against a fake Bot API."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from sendbot.adapters.telegram import COMMANDS, TelegramSender
from sendbot.adapters.telegram.delivery import classify
from sendbot.app import App
from sendbot.config import Settings
from sendbot.core.dialogue import Dialogue, Router, Turn
from sendbot.core.formatting import escape
from sendbot.core.messages import Audience, Outbound
from sendbot.core.outbox import RecipientGone, TemporaryFailure
from sendbot.core.replies import QUICK_ATTEMPTS
from sendbot.storage.models import Conversation, OutboxMessage
from tests.fakes.bot_api import BOT_USERNAME, OFFICERS_CHAT_ID, TOKEN, ApiError, FakeBotAPI
from tests.fakes.harness import (
    PARENT_CHAT_ID,
    TelegramChat,
    debug_logging,
    telegram_bot,
    telegram_settings,
)

MESSAGES = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "knowledge" / "messages.yaml").read_text()
)
MENU = MESSAGES["menu"]
ANSWER = MESSAGES["answer"]


async def conversation(app: App) -> Conversation:
    """The parent's conversation row."""
    key = app.services.keyring.chat_key("telegram", str(PARENT_CHAT_ID))
    async with app.database.unit_of_work() as uow:
        found = await uow.conversations.get(key)
    assert found is not None
    return found


async def test_start_to_question_clarification_and_feedback(settings: Settings, app: App) -> None:
    async with telegram_bot(settings, app) as (api, application):
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        welcome = await chat.send("/start")
        assert "Testshire Council (fictional)" in welcome[0].text
        assert welcome[-1].labels == list(MENU.values())
        assert all(c.params.get("parse_mode") == "HTML" for c in welcome)

        prompt = await chat.press(MENU["ask"])
        assert prompt[0].text == MESSAGES["ask_prompt"]

        unsure = await chat.send("local services advice")
        assert unsure[0].text == ANSWER["did_you_mean"]
        offer = app.services.kb.entries["local-offer"].title
        assert offer in unsure[0].labels
        assert ANSWER["none_of_these"] in unsure[0].labels

        answer = await chat.press(offer)
        assert answer[0].text.startswith(f"<b>{escape(offer)}</b>")  # the entry's title, in bold

        asked = await chat.send("how long does an EHCP take?")
        assert asked[0].text.startswith("<b>How long an EHC plan should take</b>")
        assert asked[-1].text.endswith(ANSWER["helpful_prompt"])
        thanks = await chat.press(ANSWER["helpful_yes"])
        assert thanks[0].text == ANSWER["thanks_feedback"]

    async with app.database.unit_of_work() as uow:
        assert await uow.feedback.counts() == {"ehcp-timeline": (1, 0)}
    answered = api.called("answerCallbackQuery")
    assert len(answered) == 3  # every button press answered
    assert api.called("sendChatAction") == [], "quick answers need no typing action"


async def test_commands_are_set_at_start(settings: Settings, app: App) -> None:
    async with telegram_bot(settings, app) as (api, _):
        (call,) = api.called("setMyCommands")
    names = [c["command"] for c in call.params["commands"]]
    assert names == list(COMMANDS)
    assert names[:8] == [
        "start",
        "help",
        "ask",
        "mycase",
        "contact",
        "privacy",
        "mydata",
        "deleteme",
    ]
    assert all(c["description"].strip() for c in call.params["commands"])
    assert call.params["scope"] == {"type": "all_private_chats"}


async def test_other_groups_get_one_line_and_no_buttons(settings: Settings, app: App) -> None:
    officer_settings = telegram_settings(settings, officers_chat_id=OFFICERS_CHAT_ID)
    async with telegram_bot(officer_settings, app) as (api, application):
        stranger = TelegramChat(api, application, -1009999)
        assert await stranger.send("how long does an EHCP take?") == []  # not to the bot
        for text in ("/start", f"@{BOT_USERNAME} how long does an EHCP take?"):
            [reply] = await stranger.send(text)
            assert reply.text == MESSAGES["private_only"] and reply.keyboard == []
        assert await stranger.press_data("m:menu") == []
        assert api.called("sendChatAction") == []
        officers = TelegramChat(api, application, OFFICERS_CHAT_ID)
        assert await officers.send("/help") != []
        assert await officers.send("/help@some_other_bot") == []


async def test_unsupported_media_gets_a_kind_answer(settings: Settings, app: App) -> None:
    async with telegram_bot(settings, app) as (api, application):
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        for kind in ("photo", "voice", "sticker", "document"):
            replies = await chat.media(kind)
            assert [c.text for c in replies] == [MESSAGES["unsupported"]]


async def test_stale_buttons_are_answered_kindly(settings: Settings, app: App) -> None:
    async with telegram_bot(settings, app) as (api, application):
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        replies = await chat.press_data("zz:gone")
        assert replies[0].text == MESSAGES["stale_button"]
        assert replies[0].labels == list(MENU.values())
        assert len(api.called("answerCallbackQuery")) == 1


async def test_user_text_is_escaped_and_every_message_is_valid_html(
    settings: Settings, app: App
) -> None:
    async with telegram_bot(settings, app) as (api, application):
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        await chat.send('<b>bold</b> & <script>alert("x")</script> council tax?')
        await chat.send("/mycase")
        await chat.send("<i>ABCDE-23456</i>")
        await chat.send("x" * 4050)
    # The fake refuses bad HTML as Telegram does; nothing reached the error handler.
    assert all(c.method != "sendMessage" or c.text for c in api.calls)
    errors = [c for c in api.sent(PARENT_CHAT_ID) if c.text == MESSAGES["error"]]
    assert errors == []


async def test_long_answers_are_split_under_the_limit(settings: Settings, app: App) -> None:
    paragraphs = "\n\n".join(f"Paragraph {i}. " + "word " * 150 for i in range(12))
    router = Router()

    @router.command("long")
    async def long(turn: Turn) -> None:
        turn.reply(paragraphs, [[]])

    app.dialogue = Dialogue(app.services, app.database, router)
    async with telegram_bot(settings, app) as (api, application):
        replies = await TelegramChat(api, application, PARENT_CHAT_ID).send("/long")
    assert len(replies) >= 2
    assert all(len(c.text) < 4096 for c in replies)
    assert all(c.text.startswith("Paragraph") for c in replies)  # split at paragraph breaks
    assert "".join(c.text for c in replies).count("Paragraph") == 12


async def test_officers_and_other_chats_get_their_messages(settings: Settings, app: App) -> None:
    router = Router()
    other = app.services.keyring.encrypt("777")

    @router.command("fan")
    async def fan(turn: Turn) -> None:
        turn.reply("to you")
        turn.send(Outbound(html="to officers", audience=Audience.OFFICERS))
        turn.send(Outbound(html="to a chat by its stored reference", chat_id=other))
        turn.send(Outbound(html="to a chat by id", chat_id="778", audience=Audience.CHAT))

    app.dialogue = Dialogue(app.services, app.database, router)
    officer_settings = telegram_settings(settings, officers_chat_id=OFFICERS_CHAT_ID)
    async with telegram_bot(officer_settings, app) as (api, application):
        await TelegramChat(api, application, PARENT_CHAT_ID).send("/fan")
    assert [(c.chat_id, c.text) for c in api.sent()] == [
        (PARENT_CHAT_ID, "to you"),
        (OFFICERS_CHAT_ID, "to officers"),
        (777, "to a chat by its stored reference"),
        (778, "to a chat by id"),
    ]


THANKS = "<b>Thanks!</b>"


async def press_a_button_answered_by_an_edit(
    settings: Settings, app: App, refusal: str | None = None
) -> FakeBotAPI:
    """Press a button on message 55 whose answer edits it; Telegram refuses the edit if told."""
    router = Router()

    @router.button("v")
    async def vote(turn: Turn) -> None:
        turn.send(Outbound(html=THANKS, meta={"edit": "1"}))

    app.dialogue = Dialogue(app.services, app.database, router)
    async with telegram_bot(settings, app) as (api, application):
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        if refusal is not None:
            api.fail("editMessageText", ApiError(400, refusal))
        await chat.process(api.button_update(PARENT_CHAT_ID, "v:y", message_id=55))
    return api


async def test_an_edit_replaces_the_pressed_message(settings: Settings, app: App) -> None:
    api = await press_a_button_answered_by_an_edit(settings, app)
    (edit,) = api.called("editMessageText")
    assert edit.params["message_id"] == 55 and edit.text == THANKS
    assert api.called("sendMessage") == []


@pytest.mark.parametrize(
    "refusal",
    [
        "Bad Request: message to edit not found",
        "Bad Request: message can't be edited",
        "Bad Request: can't parse entities: unsupported start tag",
    ],
)
async def test_an_edit_telegram_refuses_is_sent_as_a_new_message(
    settings: Settings, app: App, refusal: str
) -> None:
    with debug_logging() as logs:
        api = await press_a_button_answered_by_an_edit(settings, app, refusal)
    assert [c.params["message_id"] for c in api.called("editMessageText")] == [55]
    assert [c.text for c in api.called("sendMessage")] == [THANKS]
    assert "sent the answer anew" in logs.text and "Thanks" not in logs.text
    assert MESSAGES["error"] not in [c.text for c in api.sent()]


async def test_an_edit_to_a_chat_that_is_gone_marks_it_inactive(
    settings: Settings, app: App
) -> None:
    api = await press_a_button_answered_by_an_edit(settings, app, "Bad Request: chat not found")
    assert api.called("sendMessage") == []
    assert (await conversation(app)).active is False


async def test_a_file_is_sent_as_a_document(settings: Settings, app: App) -> None:
    router = Router()

    @router.command("file")
    async def file(turn: Turn) -> None:
        turn.send(Outbound(html="Your data", document=("mydata.json", b'{"a": 1}')))

    app.dialogue = Dialogue(app.services, app.database, router)
    async with telegram_bot(settings, app) as (api, application):
        await TelegramChat(api, application, PARENT_CHAT_ID).send("/file")
    (call,) = api.called("sendDocument")
    assert call.text == "Your data"
    assert next(iter(call.files.values())) == ("mydata.json", b'{"a": 1}')


async def test_blocked_bot_marks_the_chat_inactive(settings: Settings, app: App) -> None:
    async with telegram_bot(settings, app) as (api, application):
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        await chat.send("/start")
        assert (await conversation(app)).active
        api.fail("sendMessage", ApiError(403, "Forbidden: bot was blocked by the user"), times=9)
        await chat.send("/help")
        assert not (await conversation(app)).active
        await chat.send("/help")  # writing again makes it active; the send fails again
        assert not (await conversation(app)).active
        api.failures.clear()
        await chat.send("/help")
        assert (await conversation(app)).active
        await chat.process(api.member_update(PARENT_CHAT_ID, "kicked"))
        assert not (await conversation(app)).active


async def test_flood_control_is_respected_by_the_rate_limiter(settings: Settings, app: App) -> None:
    async with telegram_bot(settings, app) as (api, application):
        api.fail("sendMessage", ApiError(429, "Too Many Requests: retry after 1", retry_after=1))
        replies = await TelegramChat(api, application, PARENT_CHAT_ID).send("/help")
    assert len(replies) == 2  # the refused attempt, then the retry after waiting
    assert replies[0].text == replies[1].text


async def test_network_failures_go_to_the_outbox_and_are_delivered_later(
    settings: Settings, app: App
) -> None:
    async with telegram_bot(settings, app) as (api, application):
        api.fail("sendMessage", TimedOut(), times=QUICK_ATTEMPTS)
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        await chat.send("/start")  # two messages: the first timed out, the second waits too
        assert len(api.called("sendMessage")) == QUICK_ATTEMPTS
        async with app.database.unit_of_work() as uow:
            saved = list((await uow.session.execute(select(OutboxMessage))).scalars())
        assert [row.status for row in saved] == ["pending", "pending"]
        assert all(str(PARENT_CHAT_ID) not in row.chat_ref for row in saved)  # encrypted
        assert all("Testshire" not in row.html for row in saved)
        api.clear()
        assert application.job_queue is not None
        (outbox_job,) = application.job_queue.get_jobs_by_name("outbox")
        async with app.database.unit_of_work() as uow:
            for row in (await uow.session.execute(select(OutboxMessage))).scalars():
                row.next_attempt_at = row.created_at  # due now
        await outbox_job.run(application)
    delivered = api.sent(PARENT_CHAT_ID)
    assert len(delivered) == 2
    assert "Testshire" in delivered[0].text and delivered[1].labels == list(MENU.values())


async def test_every_core_job_is_scheduled(settings: Settings, app: App) -> None:
    from sendbot.core.schedule import scheduled_jobs

    async with telegram_bot(settings, app) as (_, application):
        assert application.job_queue is not None
        names = {job.name for job in application.job_queue.jobs()}
    assert names == {job.name for job in scheduled_jobs()}


async def test_a_refused_reply_is_kept_for_a_retry_and_logged_without_text(
    settings: Settings, app: App
) -> None:
    router = Router()

    @router.command("boom")
    async def boom(turn: Turn) -> None:
        turn.reply("<b>secret-words</b>")

    app.dialogue = Dialogue(app.services, app.database, router)
    with debug_logging() as logs:
        async with telegram_bot(settings, app) as (api, application):
            refusal = ApiError(400, "Bad Request: something unexpected")
            api.fail("sendMessage", refusal, times=QUICK_ATTEMPTS)
            chat = TelegramChat(api, application, PARENT_CHAT_ID)
            replies = await chat.send("/boom parent-words")
    assert [c.text for c in replies] == ["<b>secret-words</b>"] * QUICK_ATTEMPTS
    async with app.database.unit_of_work() as uow:
        (kept,) = (await uow.session.execute(select(OutboxMessage))).scalars()
    assert (kept.status, kept.attempts, kept.last_error) == ("pending", 1, "refused: BadRequest")
    logged = logs.text
    assert "BadRequest" in logged
    for secret in ("secret-words", "parent-words", TOKEN, TOKEN.split(":")[1]):
        assert secret not in logged


async def test_a_debug_run_never_logs_the_token_or_text(settings: Settings, app: App) -> None:
    with debug_logging() as logs:
        async with telegram_bot(settings, app) as (api, application):
            chat = TelegramChat(api, application, PARENT_CHAT_ID)
            await chat.send("/start")
            await chat.send("how long does an EHCP take?")
            await chat.press(ANSWER["helpful_no"])
        assert logging.getLogger("sendbot.adapters").isEnabledFor(logging.DEBUG)
    assert TOKEN.split(":")[1] not in logs.text
    assert "how long does an EHCP" not in logs.text


def test_fake_api_rejects_a_wrong_token() -> None:
    import asyncio

    status, body = asyncio.run(FakeBotAPI().answer("1:wrong", "getMe", {}, {}))
    assert status == 401 and body["ok"] is False


def test_telegram_errors_map_onto_the_outboxs_two_kinds() -> None:
    gone = classify(Forbidden("Forbidden: bot was blocked by the user"))
    assert isinstance(gone, RecipientGone)
    assert isinstance(classify(BadRequest("Bad Request: chat not found")), RecipientGone)
    flood = classify(RetryAfter(12))
    assert isinstance(flood, TemporaryFailure) and flood.retry_after == 12
    assert isinstance(classify(TimedOut()), TemporaryFailure)
    assert isinstance(classify(NetworkError("reset")), TemporaryFailure)
    assert classify(BadRequest("Bad Request: can't parse entities")) is None


async def test_the_outbox_sender_reports_a_blocked_chat_as_gone(
    settings: Settings, app: App
) -> None:
    told: list[str] = []

    async def on_gone(chat_id: str) -> None:
        told.append(chat_id)

    async with telegram_bot(settings, app) as (api, application):
        sender = TelegramSender(application.bot, on_gone=on_gone)
        await sender.send("4242", Outbound(html="<b>hello</b>"))
        api.fail("sendMessage", ApiError(403, "Forbidden: bot was blocked by the user"))
        with pytest.raises(RecipientGone):
            await sender.send("4242", Outbound(html="hello again"))
        api.fail("sendMessage", NetworkError("connection reset"))
        with pytest.raises(TemporaryFailure):
            await sender.send("4242", Outbound(html="and again"))
    assert told == ["4242"]
    assert [c.text for c in api.sent(4242)] == ["<b>hello</b>", "hello again", "and again"]


async def test_html_telegram_cannot_read_is_sent_as_plain_words(
    settings: Settings, app: App
) -> None:
    with debug_logging() as logs:
        async with telegram_bot(settings, app) as (api, application):
            chat = TelegramChat(api, application, PARENT_CHAT_ID)
            api.fail("sendMessage", ApiError(400, "Bad Request: can't parse entities: bad tag"))
            failed, plain = await chat.send("/help")
    assert "plain text" in logs.text and "/menu" not in logs.text
    assert failed.params["parse_mode"] == "HTML"
    assert "parse_mode" not in plain.params
    assert "<" not in plain.text and "/menu" in plain.text
    assert plain.keyboard == failed.keyboard, "the buttons still come with the words"
    async with app.database.unit_of_work() as uow:
        assert (await uow.session.execute(select(OutboxMessage))).scalars().all() == []
