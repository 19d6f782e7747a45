"""Fault injection: the Bot API answers 500, 429, 400 and 403 to sends and to edits.

Twelve updates from one parent, each answered by one message (a send, or an edit of the
pressed message); from the third on, the fake refuses the next calls as told. The outbox
job then runs as the clock moves on. Nothing may be lost (a blocked bot excuses only the
replies Telegram refused with 403) and nothing may arrive twice.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from sendbot.adapters.telegram import TelegramApp
from sendbot.app import App
from sendbot.clock import FrozenClock
from sendbot.config import Settings
from sendbot.core.dialogue import Dialogue, Router, Turn
from sendbot.core.messages import Outbound
from sendbot.core.replies import QUICK_ATTEMPTS
from sendbot.storage.models import OutboxMessage
from tests.fakes.bot_api import ApiError, FakeBotAPI
from tests.fakes.harness import PARENT_CHAT_ID, TelegramChat, telegram_bot
from tests.faults import tally

UPDATES = 12
FAULTS = {
    "500": (ApiError(500, "Internal Server Error"), QUICK_ATTEMPTS + 1),
    "429 retry_after=1": (ApiError(429, "Too Many Requests: retry after 1", retry_after=1), 2),
    "400": (ApiError(400, "Bad Request: something unexpected"), QUICK_ATTEMPTS + 1),
    "403": (ApiError(403, "Forbidden: bot was blocked by the user"), 1),
}
METHODS = {"sends": "sendMessage", "edits": "editMessageText"}


def numbered_router() -> Router:
    """/say N is answered "reply N"; button e:N by editing its message to "edited N"."""
    router = Router()

    @router.command("say")
    async def say(turn: Turn) -> None:
        turn.reply(f"reply {turn.inbound.argument}")

    @router.button("e")
    async def edit(turn: Turn) -> None:
        number = turn.inbound.text.split(":", 1)[1]
        turn.send(Outbound(html=f"edited {number}", meta={"edit": "1"}))

    return router


async def pending(app: App) -> int:
    async with app.database.unit_of_work() as uow:
        query = select(func.count()).where(OutboxMessage.status == "pending")
        return int((await uow.session.execute(query)).scalar_one())


async def run_outbox_until_done(app: App, application: TelegramApp, clock: FrozenClock) -> None:
    """Run the outbox job as time passes, until nothing waits (at most a day)."""
    assert application.job_queue is not None
    (job,) = application.job_queue.get_jobs_by_name("outbox")
    for _ in range(24):
        if not await pending(app):
            return
        clock.advance(timedelta(hours=1))
        await job.run(application)


def refused(api: FakeBotAPI) -> list[str]:
    """Texts of the calls the fake refused."""
    accepted = {id(call) for call in api.accepted}
    return [c.text for c in api.sent() if id(c) not in accepted]


@pytest.mark.parametrize("what", list(METHODS))
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_bot_api_faults_lose_nothing_and_send_nothing_twice(
    settings: Settings, app: App, frozen_clock: FrozenClock, fault: str, what: str
) -> None:
    app.dialogue = Dialogue(app.services, app.database, numbered_router())
    error, times = FAULTS[fault]
    async with telegram_bot(settings, app) as (api, application):
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        for number in range(UPDATES):
            if number == 2:
                api.fail(METHODS[what], error, times=times)
            if what == "sends":
                await chat.send(f"/say {number}")
            else:
                await chat.process(api.button_update(PARENT_CHAT_ID, f"e:{number}", 55))
        await run_outbox_until_done(app, application, frozen_clock)
    word = "reply" if what == "sends" else "edited"
    gone = refused(api) if fault == "403" else []
    result = tally(
        f"Bot API {fault} to {what}",
        UPDATES,
        [f"{word} {n}" for n in range(UPDATES)],
        [c.text for c in api.delivered(PARENT_CHAT_ID)],
        note=f"{times} calls refused" + ("; chat marked gone, refused reply kept" if gone else ""),
        excused=gone,
    )
    assert (result.lost, result.duplicated) == (0, 0), result
    assert await pending(app) == 0
    if fault == "403":
        async with app.database.unit_of_work() as uow:
            kept = (await uow.session.execute(select(OutboxMessage.status))).scalars().all()
        assert list(kept) == ["undelivered"], "the refused reply is kept, marked, not resent"
