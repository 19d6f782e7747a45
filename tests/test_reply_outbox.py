"""A turn's replies go through the outbox: saved with the turn, sent, retried, never lost."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from telegram.error import TimedOut

from sendbot.adapters.telegram import TelegramApp
from sendbot.adapters.telegram.webhook import SECRET_HEADER
from sendbot.app import App
from sendbot.clock import FrozenClock
from sendbot.config import Settings
from sendbot.core import replies
from sendbot.core.dialogue import Dialogue, Router, Turn
from sendbot.core.messages import Audience, Outbound
from sendbot.core.outbox import MAX_ATTEMPTS
from sendbot.core.replies import LEASE, QUICK_ATTEMPTS
from sendbot.storage.models import Conversation, OutboxMessage, ProcessedUpdate
from tests.fakes.bot_api import OFFICERS_CHAT_ID, ApiError
from tests.fakes.harness import (
    PARENT_CHAT_ID,
    TelegramChat,
    debug_logging,
    telegram_bot,
    telegram_settings,
)
from tests.test_telegram_adapter import MESSAGES
from tests.test_telegram_webhook import SECRET, webhook

UNEXPECTED = ApiError(400, "Bad Request: something unexpected")


async def rows(app: App) -> list[OutboxMessage]:
    async with app.database.unit_of_work() as uow:
        return list((await uow.session.execute(select(OutboxMessage))).scalars())


async def run_outbox_job(application: TelegramApp) -> None:
    """The outbox job as the job queue runs it, once."""
    assert application.job_queue is not None
    (job,) = application.job_queue.get_jobs_by_name("outbox")
    await job.run(application)


async def test_a_reply_refused_with_an_unexpected_400_still_reaches_the_parent(
    settings: Settings, app: App
) -> None:
    # The bug this fixes: the update was recorded as handled, the send failed, the webhook
    # answered 500, and Telegram's redelivery found the update handled: no reply, ever.
    async with webhook(settings, app) as (api, url), httpx.AsyncClient() as client:
        headers = {SECRET_HEADER: SECRET}
        update = api.text_update(PARENT_CHAT_ID, "/help")
        api.fail("sendMessage", UNEXPECTED)
        first = await client.post(url, json=update, headers=headers)
        if first.status_code != 200:  # as Telegram does
            await client.post(url, json=update, headers=headers)
        again = await client.post(url, json=update, headers=headers)  # a redelivery anyway
        assert again.status_code == 200
    helps = [c for c in api.delivered(PARENT_CHAT_ID) if "/menu" in c.text]
    assert len(helps) == 1, "the /help reply arrives, and once"
    assert MESSAGES["error"] not in [c.text for c in api.sent()]
    assert await rows(app) == [], "a delivered reply is not kept"


async def test_a_reply_refused_on_every_quick_try_is_sent_by_the_outbox_later(
    settings: Settings, app: App, frozen_clock: FrozenClock
) -> None:
    async with telegram_bot(settings, app) as (api, application):
        api.fail("sendMessage", UNEXPECTED, times=QUICK_ATTEMPTS)
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        await chat.send("/help")
        (kept,) = await rows(app)
        assert kept.status == "pending" and kept.kind == "reply"
        assert kept.next_attempt_at == frozen_clock() + timedelta(seconds=30)
        api.clear()
        await run_outbox_job(application)
        assert api.sent() == [], "not before its time"
        frozen_clock.advance(timedelta(seconds=31))
        await run_outbox_job(application)
        await run_outbox_job(application)
    (delivered,) = api.sent(PARENT_CHAT_ID)
    assert "/menu" in delivered.text
    assert [row.status for row in await rows(app)] == ["sent"]


async def test_a_reply_refused_for_good_is_followed_by_an_apology_and_logged_by_kind(
    settings: Settings, app: App, frozen_clock: FrozenClock
) -> None:
    router = Router()

    @router.command("x")
    async def x(turn: Turn) -> None:
        turn.reply("<b>private words</b>")

    app.dialogue = Dialogue(app.services, app.database, router)
    with debug_logging() as logs:
        async with telegram_bot(settings, app) as (api, application):
            api.fail("sendMessage", UNEXPECTED, times=QUICK_ATTEMPTS + MAX_ATTEMPTS - 1)
            await TelegramChat(api, application, PARENT_CHAT_ID).send("/x")
            for _ in range(MAX_ATTEMPTS + 1):
                frozen_clock.advance(timedelta(hours=2))
                await run_outbox_job(application)
    texts = [c.text for c in api.sent(PARENT_CHAT_ID)]
    assert texts.count("<b>private words</b>") == QUICK_ATTEMPTS + MAX_ATTEMPTS - 1
    assert texts[-1] == MESSAGES["error"], "the parent is told, in the end"
    statuses = {row.kind: row.status for row in await rows(app)}
    assert statuses == {"reply": "failed", "apology": "sent"}
    assert "a reply message failed for good" in logs.text
    assert "private words" not in logs.text


async def test_an_officers_message_refused_for_good_is_reported_to_the_officers(
    settings: Settings, app: App, frozen_clock: FrozenClock
) -> None:
    router = Router()

    @router.command("x")
    async def x(turn: Turn) -> None:
        turn.send(Outbound(html="<b>for officers</b>", audience=Audience.OFFICERS))

    app.dialogue = Dialogue(app.services, app.database, router)
    officers = telegram_settings(settings, officers_chat_id=OFFICERS_CHAT_ID)
    app.services.settings = app.services.settings.model_copy(
        update={"officers_chat_id": OFFICERS_CHAT_ID}
    )
    async with telegram_bot(officers, app) as (api, application):
        api.fail("sendMessage", UNEXPECTED, times=QUICK_ATTEMPTS + MAX_ATTEMPTS - 1)
        await TelegramChat(api, application, PARENT_CHAT_ID).send("/x")
        for _ in range(MAX_ATTEMPTS + 1):
            frozen_clock.advance(timedelta(hours=2))
            await run_outbox_job(application)
    report = api.sent(OFFICERS_CHAT_ID)[-1].text
    assert "was not delivered" in report and "a message for this group" in report
    assert "refused: BadRequest" in report and "for officers" not in report


async def test_the_turn_and_its_replies_are_saved_together_or_not_at_all(
    settings: Settings, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    router = Router()

    @router.command("two")
    async def two(turn: Turn) -> None:
        turn.set_state("after_two")
        turn.reply("one")
        turn.reply("two")

    app.dialogue = Dialogue(app.services, app.database, router)
    made = replies.row_values

    def fails_on_the_second(*args: object, **kwargs: object) -> dict[str, object]:
        if args[0] == "turn:telegram:1:1":
            raise OSError("disk gone")
        return made(*args, **kwargs)  # type: ignore[arg-type]

    async with telegram_bot(settings, app) as (api, application):
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        update = api.text_update(PARENT_CHAT_ID, "/two")
        monkeypatch.setattr(replies, "row_values", fails_on_the_second)
        apology = await chat.process(update)
        assert [c.text for c in apology] == [MESSAGES["error"]]
        async with app.database.unit_of_work() as uow:
            handled = await uow.session.execute(select(func.count(ProcessedUpdate.update_id)))
            assert handled.scalar_one() == 0, "the update is not recorded as handled"
            states = (await uow.session.execute(select(Conversation.state))).scalars().all()
            assert "after_two" not in states
        assert await rows(app) == []
        monkeypatch.setattr(replies, "row_values", made)
        redelivered = await chat.process(update)
    assert [c.text for c in redelivered] == ["one", "two"]


async def test_replies_left_by_a_process_that_died_are_sent_when_their_lease_ends(
    settings: Settings, app: App, frozen_clock: FrozenClock
) -> None:
    async with telegram_bot(settings, app) as (api, application):
        handlers = application.bot_data["sendbot"]

        async def dies_after_the_commit(*args: object) -> None:
            return None  # the turn committed; the process died before sending

        handlers.dispatch = dies_after_the_commit
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        update = api.text_update(PARENT_CHAT_ID, "/start")
        assert await chat.process(update) == []
        assert [row.status for row in await rows(app)] == ["pending", "pending"]
        del handlers.dispatch
        assert await chat.process(update) == [], "a redelivery is not answered again"
        frozen_clock.advance(LEASE - timedelta(seconds=1))
        await run_outbox_job(application)
        assert api.sent() == [], "another process may still be sending them"
        frozen_clock.advance(timedelta(seconds=2))
        await run_outbox_job(application)
    sent = api.sent(PARENT_CHAT_ID)
    assert len(sent) == 2 and "Testshire" in sent[0].text


async def test_an_edit_and_a_file_wait_in_the_outbox_as_they_are(
    settings: Settings, app: App, frozen_clock: FrozenClock
) -> None:
    router = Router()

    @router.button("v")
    async def vote(turn: Turn) -> None:
        turn.send(Outbound(html="<b>Thanks</b>", meta={"edit": "1"}))
        turn.send(Outbound(html="Your data", document=("mydata.json", b'{"child": "Sam"}')))

    app.dialogue = Dialogue(app.services, app.database, router)
    async with telegram_bot(settings, app) as (api, application):
        api.fail("editMessageText", TimedOut(), times=QUICK_ATTEMPTS)
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        await chat.process(api.button_update(PARENT_CHAT_ID, "v:y", message_id=55))
        kept = await rows(app)
        assert [row.edit_of for row in kept] == ["55", None]
        assert all(b"Sam" not in (row.document or "").encode() for row in kept)
        assert api.called("sendDocument") == [], "the file waits behind the edit"
        api.clear()
        frozen_clock.advance(timedelta(minutes=1))
        await run_outbox_job(application)
    (edit,) = api.called("editMessageText")
    assert edit.params["message_id"] == 55 and edit.text == "<b>Thanks</b>"
    (document,) = api.called("sendDocument")
    assert next(iter(document.files.values())) == ("mydata.json", b'{"child": "Sam"}')
    assert api.called("sendMessage") == []


class _Refusing:
    """A sender whose every send fails for now."""

    channel = "telegram"

    def __init__(self) -> None:
        self.tried: list[str] = []

    async def send(self, chat_id: str, message: Outbound) -> None:
        from sendbot.core.outbox import TemporaryFailure

        self.tried.append(message.html)
        raise TemporaryFailure("down")


async def test_an_ephemeral_reply_is_sent_once_and_never_written_to_the_outbox(app: App) -> None:
    from sendbot.core.messages import EPHEMERAL

    letter = Outbound("Dear Sir or Madam, ...", meta={EPHEMERAL: "1"})
    plain = Outbound("Here is your letter.")
    now = app.services.clock()
    async with app.database.unit_of_work() as uow:
        kept = await replies.keep(
            uow, app.services.keyring, "telegram", 7, [plain, letter], lambda _: "42", now
        )
    assert [r.html for r in kept] == [plain.html, letter.html]  # in the turn's order
    assert [row.kind for row in await rows(app)] == ["reply"]  # the letter has no row
    sender = _Refusing()
    await replies.send_kept(app.database, sender, kept, now)
    # The plain reply waits in the outbox for a retry; the letter is not kept anywhere.
    left = await rows(app)
    assert len(left) == 1 and left[0].attempts == 1
    assert letter.html not in sender.tried  # its chat was already waiting: not sent out of order
