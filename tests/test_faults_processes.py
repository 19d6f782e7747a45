"""Fault injection on real `sendbot run --webhook-url` processes: kill -9, PostgreSQL restart.

Updates are posted as Telegram posts them: a chat's next update only once the previous one
was answered 200, and an update answered otherwise (or not at all: a dead process) posted
again after a pause, to any process, until it is. Then every chat's replies are compared
with a lone chat's for the same script: none may be missing, none may come twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tenacity import AsyncRetrying, stop_after_delay, wait_exponential

from sendbot.bench.bots import HOOK_PATH, BotGroup, BotSpec, bot_environment, running_bots
from sendbot.bench.fake_api import FakeBotAPI
from sendbot.bench.load import UpdateFactory
from sendbot.bench.webhook_client import WebhookClient
from sendbot.core.replies import LEASE
from sendbot.storage.db import Database
from sendbot.storage.models import OutboxMessage, ProcessedUpdate
from tests.conftest import postgres_schema_url
from tests.faults import Tally, tally
from tests.private_postgres import postgres_bin, private_postgres

SECRET = "fault-injection-webhook-secret"
SCRIPT = ("/start", "how long does an EHCP take?", "/help", "who is SENDIASS?", "/privacy")
CHATS = 80
IN_FLIGHT = 24
TIME_LIMIT_S = 240


class Telegram:
    """Posts each chat's updates in order, sending each again until it is answered 200."""

    def __init__(self, bots: BotGroup, fault_after: int) -> None:
        self.bots = bots
        self.clients = [WebhookClient(port, HOOK_PATH, SECRET) for port in bots.ports]
        self.fault_after = fault_after
        self.fault_time = asyncio.Event()  # set once `fault_after` updates were answered
        self.answered = 0
        self.posts = 0
        self._turn = 0

    async def deliver(self, update: dict[str, object]) -> None:
        """Post until some process answers 200 (at most a minute)."""
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=0.2, max=2.0), stop=stop_after_delay(60), reraise=True
        )
        async for attempt in retrying:
            with attempt:
                self._turn += 1
                client = self.clients[self._turn % len(self.clients)]
                self.posts += 1
                try:
                    status = await client.post(update)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    status = 0
                if status != 200:
                    raise ConnectionError(f"answered {status}")
        self.answered += 1
        if self.answered >= self.fault_after:
            self.fault_time.set()

    async def conversations(self, plans: Sequence[Sequence[dict[str, object]]]) -> None:
        """Every chat's updates in order, IN_FLIGHT chats at a time."""
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def chat(updates: Sequence[dict[str, object]]) -> None:
            async with slots:
                for update in updates:
                    await self.deliver(update)

        await asyncio.gather(*(chat(updates) for updates in plans))

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


def environment(knowledge_dir: Path, api: FakeBotAPI, url: str) -> dict[str, str]:
    return bot_environment(
        dict(os.environ), api.url, url, SECRET,
        SENDBOT_KNOWLEDGE_DIR=str(knowledge_dir), SENDBOT_COUNCIL="testshire",
        SENDBOT_SECRET_KEY="fault-injection-test-key-not-for-production",
    )  # fmt: skip


async def reference(telegram: Telegram, api: FakeBotAPI, factory: UpdateFactory) -> list[str]:
    """The replies a lone chat gets for the script, with no fault."""
    for text in SCRIPT:
        await telegram.deliver(factory.text(1, text))
    return [reply.text for reply in api.recorder.replies_to(1)]


async def settled(database: Database, within_s: float) -> None:
    """Wait until no reply waits in the outbox (a dead process's leased ones included)."""
    async with asyncio.timeout(within_s):
        while True:
            async with database.unit_of_work() as uow:
                query = select(func.count()).where(OutboxMessage.status == "pending")
                if not (await uow.session.execute(query)).scalar_one():
                    return
            await asyncio.sleep(0.5)


async def handled(database: Database) -> int:
    async with database.unit_of_work() as uow:
        query = select(func.count(ProcessedUpdate.update_id))
        return int((await uow.session.execute(query)).scalar_one())


def failures(log_dir: Path) -> list[str]:
    """The bots' logged failures (kinds only: the logs hold no text), for a failing assert."""
    lines = [line for log in log_dir.glob("bot-*.log") for line in log.read_text().splitlines()]
    return [line for line in lines if "failed" in line or "Traceback" in line][:20]


def count(case: str, api: FakeBotAPI, want: list[str], chats: Sequence[int], note: str) -> Tally:
    expected = [text for _ in chats for text in want]
    delivered = [reply.text for chat in chats for reply in api.recorder.replies_to(chat)]
    return tally(case, len(chats) * len(SCRIPT), expected, delivered, note)


@pytest.mark.slow
async def test_kill_9_of_one_of_two_processes_mid_load_loses_nothing(
    knowledge_dir: Path, tmp_path: Path
) -> None:
    async with postgres_schema_url() as url:
        database = Database(url)
        await database.upgrade()
        try:
            async with asyncio.timeout(TIME_LIMIT_S), FakeBotAPI() as api:
                spec = BotSpec(echo=False, env=environment(knowledge_dir, api, url), cwd=tmp_path)
                async with running_bots(spec, 2, log_dir=tmp_path) as bots:
                    telegram = Telegram(bots, len(SCRIPT) + CHATS * len(SCRIPT) // 3)
                    factory = UpdateFactory(first_update_id=50_000)
                    try:
                        want = await reference(telegram, api, factory)
                        chats = list(range(200_000, 200_000 + CHATS))
                        plans = [[factory.text(c, t) for t in SCRIPT] for c in chats]
                        load = asyncio.create_task(telegram.conversations(plans))
                        await telegram.fault_time.wait()
                        os.kill(bots.pids[0], signal.SIGKILL)
                        await load
                        await settled(database, LEASE.total_seconds() + 30)
                        await asyncio.sleep(1.0)  # a stray, late reply would arrive now
                        assert bots.processes[1].process.returncode is None
                    finally:
                        await telegram.close()
            updates_handled = await handled(database)
        finally:
            await database.dispose()
    result = count(
        "kill -9 of 1 of 2 processes (PostgreSQL)", api, want, chats,
        f"{telegram.posts - telegram.answered} posts sent again by 'Telegram'",
    )  # fmt: skip
    problems = failures(tmp_path)
    assert updates_handled == (CHATS + 1) * len(SCRIPT), f"each update handled once: {problems}"
    assert result.lost == 0, (result, problems)
    # Only replies of turns being sent when the process died may repeat (at-least-once).
    assert result.duplicated <= IN_FLIGHT, result


@pytest.mark.slow
@pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL's programs are not installed")
async def test_a_postgresql_restart_while_running_loses_nothing(
    knowledge_dir: Path, tmp_path: Path
) -> None:
    with private_postgres() as server:
        database = Database(server.url)
        await database.upgrade()
        try:
            async with asyncio.timeout(TIME_LIMIT_S), FakeBotAPI() as api:
                env = environment(knowledge_dir, api, server.url)
                spec = BotSpec(echo=False, env=env, cwd=tmp_path)
                async with running_bots(spec, 2, log_dir=tmp_path) as bots:
                    telegram = Telegram(bots, len(SCRIPT) + CHATS * len(SCRIPT) // 3)
                    factory = UpdateFactory(first_update_id=70_000)
                    try:
                        want = await reference(telegram, api, factory)
                        chats = list(range(300_000, 300_000 + CHATS))
                        plans = [[factory.text(c, t) for t in SCRIPT] for c in chats]
                        load = asyncio.create_task(telegram.conversations(plans))
                        await telegram.fault_time.wait()
                        await asyncio.to_thread(server.restart)
                        await load
                        await database.dispose()  # its connections died with the server
                        await settled(database, LEASE.total_seconds() + 30)
                        await asyncio.sleep(1.0)
                        bots.check_alive()
                    finally:
                        await telegram.close()
            updates_handled = await handled(database)
        finally:
            await database.dispose()
    result = count(
        "PostgreSQL restart (immediate stop) while running, 2 processes", api, want, chats,
        f"{telegram.posts - telegram.answered} posts sent again by 'Telegram'",
    )  # fmt: skip
    problems = failures(tmp_path)
    assert updates_handled == (CHATS + 1) * len(SCRIPT), f"each update handled once: {problems}"
    assert (result.lost, result.duplicated) == (0, 0), (result, problems)
