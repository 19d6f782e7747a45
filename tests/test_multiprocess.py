"""Three real `sendbot run --webhook-url` processes on one PostgreSQL database.

5,000 updates from 500 chats, chats interleaved in a shuffled order, each update posted to
the next process in turn, 5% sent twice (at once to two processes, or again afterwards to
another one). Every update must be answered exactly once, and each chat's replies must
come in order: the replies received between an update's POST and its answer are that
update's, and they must be the replies a lone chat gets for the same message.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sendbot.bench.bots import HOOK_PATH, BotSpec, bot_environment, running_bots
from sendbot.bench.fake_api import FakeBotAPI
from sendbot.bench.load import Driver, Outcome, UpdateFactory, plan_conversations
from sendbot.bench.webhook_client import WebhookClient
from sendbot.storage.db import Database
from sendbot.storage.models import ProcessedUpdate
from tests.conftest import postgres_schema_url

PROCESSES = 3
CHATS = 500
UPDATES_PER_CHAT = 10
DUPLICATES = 0.05
IN_FLIGHT = 48
TIME_LIMIT_S = 300  # about 1 to 2 minutes on a 2-core machine; a hang fails, never blocks
SECRET = "multiprocess-webhook-secret"
# Ten steps, each answered differently from the one before, so a swap would show.
SCRIPT = (
    "/start",
    "how long does an EHCP take?",
    "/help",
    "what is the local offer?",
    "/privacy",
    "who is SENDIASS?",
    "/menu",
    "how long does an EHCP take?",
    "/help",
    "/start",
)


def texts(outcome: Outcome) -> list[str]:
    return [reply.text for reply in outcome.replies]


@pytest.mark.slow
async def test_three_processes_answer_each_update_once_and_in_order(
    knowledge_dir: Path, tmp_path: Path
) -> None:
    async with postgres_schema_url() as url:
        database = Database(url)
        await database.upgrade()  # `sendbot db upgrade`, once, before the processes start
        try:
            async with asyncio.timeout(TIME_LIMIT_S), FakeBotAPI() as api:
                env = bot_environment(
                    dict(os.environ), api.url, url, SECRET,
                    SENDBOT_KNOWLEDGE_DIR=str(knowledge_dir), SENDBOT_COUNCIL="testshire",
                    SENDBOT_SECRET_KEY="multiprocess-test-key-not-for-production",
                )  # fmt: skip
                spec = BotSpec(echo=False, env=env, cwd=tmp_path)
                async with running_bots(spec, PROCESSES, log_dir=tmp_path) as bots:
                    clients = [WebhookClient(port, HOOK_PATH, SECRET) for port in bots.ports]
                    driver = Driver(recorder=api.recorder, clients=clients)
                    factory = UpdateFactory(first_update_id=10_000)
                    try:
                        alone = plan_conversations(factory, [1], len(SCRIPT), SCRIPT)
                        reference = [texts(await driver.deliver(d)) for d in alone]
                        chats = list(range(100_000, 100_000 + CHATS))
                        plan = plan_conversations(
                            factory, chats, UPDATES_PER_CHAT, SCRIPT, DUPLICATES,
                            random.Random(9),
                        )  # fmt: skip
                        result = await driver.closed_loop(plan, IN_FLIGHT)
                        await asyncio.sleep(0.5)  # any stray, late reply would arrive now
                        bots.check_alive()
                    finally:
                        await driver.close()
            async with database.unit_of_work() as uow:
                query = select(func.count()).select_from(ProcessedUpdate)
                handled = int((await uow.session.execute(query)).scalar_one())
        finally:
            await database.dispose()

    assert all(reply for reply in reference), "the lone chat was answered at every step"
    assert len(result.outcomes) == CHATS * UPDATES_PER_CHAT
    copies = Counter(o.delivery.copy for o in result.outcomes)
    expected_copies = CHATS * UPDATES_PER_CHAT * DUPLICATES / 2
    assert copies["concurrent"] > expected_copies / 2 < copies["later"], copies
    refused = [o for o in result.outcomes if any(s != 200 for s in o.statuses)]
    assert not refused, f"{len(refused)} deliveries not accepted, e.g. {refused[0].statuses}"

    wrong = [o for o in result.outcomes if texts(o) != reference[o.delivery.step]]
    assert not wrong, (
        f"{len(wrong)} updates answered other than once, or out of order; e.g. chat "
        f"{wrong[0].delivery.chat_id} step {wrong[0].delivery.step} ({wrong[0].delivery.copy}): "
        f"{len(wrong[0].replies)} replies, expected {len(reference[wrong[0].delivery.step])}"
    )
    for chat in chats:
        steps = sorted((o for o in result.outcomes if o.delivery.chat_id == chat),
                       key=lambda o: o.sent_at)  # fmt: skip
        assert [o.delivery.step for o in steps] == list(range(UPDATES_PER_CHAT))
        assert [r.text for r in api.recorder.replies_to(chat)] == [
            text for step in range(UPDATES_PER_CHAT) for text in reference[step]
        ], f"chat {chat}: replies outside their update's window"
    assert handled == CHATS * UPDATES_PER_CHAT + len(SCRIPT), "each update recorded once"
