"""Several processes on one database: redelivered updates, per-chat locks, job leases."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from sendbot.app import App, open_app
from sendbot.clock import system_clock
from sendbot.config import Settings
from sendbot.core.jobs.registry import Job, JobContext, run_job
from sendbot.core.messages import Inbound, InboundKind
from sendbot.storage.db import Database
from sendbot.storage.models import Conversation, ProcessedUpdate


def start(update_id: int, chat: str = "42") -> Inbound:
    return Inbound("telegram", chat, InboundKind.COMMAND, "/start", update_id=update_id)


async def test_a_redelivered_update_is_answered_once(app: App) -> None:
    first = await app.dialogue.handle(start(1001))
    again = await app.dialogue.handle(start(1001))
    assert first and first[0].html
    assert again == []
    assert await app.dialogue.handle(start(1002)), "a new update is answered"


async def test_updates_without_an_id_are_never_deduplicated(app: App) -> None:
    line = Inbound("terminal", "local", InboundKind.COMMAND, "/start")
    assert await app.dialogue.handle(line)
    assert await app.dialogue.handle(line)


async def test_the_same_update_id_on_another_channel_is_a_different_update(app: App) -> None:
    assert await app.dialogue.handle(start(7))
    other = replace(start(7), channel="terminal")
    assert await app.dialogue.handle(other)


async def _count(database: Database, model: object) -> int:
    async with database.unit_of_work() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(model))).scalar())


async def test_concurrent_copies_and_new_chats_on_postgres(
    settings: Settings, postgres_url: str
) -> None:
    """Two processes' worth of sessions race on the same updates and the same new chats."""
    pg = settings.model_copy(update={"database_url": postgres_url})
    async with open_app(pg) as one, open_app(pg) as two:
        chats = [str(n) for n in range(20)]
        inbound = [start(5000 + n, chat) for n, chat in enumerate(chats)]
        results = await asyncio.gather(
            *(app.dialogue.handle(message) for message in inbound for app in (one, two))
        )
        answered = [bool(replies) for replies in results]
        assert sum(answered) == len(chats), "each update answered by exactly one process"
        assert await _count(one.database, Conversation) == len(chats)
        assert await _count(one.database, ProcessedUpdate) == len(chats)


async def test_a_chat_is_locked_while_its_message_is_handled(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        await database.upgrade()
        order: list[str] = []
        async with database.unit_of_work() as uow:
            await uow.conversations.lock_or_create("k" * 64, "telegram", system_clock())

            async def second() -> None:
                async with database.unit_of_work() as other:
                    await other.conversations.lock_or_create("k" * 64, "telegram", system_clock())
                    order.append("second")

            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.3)
            order.append("first")
        await asyncio.wait_for(waiting, 10)
        assert order == ["first", "second"]
    finally:
        await database.dispose()


async def test_a_leased_job_runs_in_one_process_per_interval(app: App, tmp_path: Path) -> None:
    runs: list[str] = []

    async def work(context: JobContext) -> object:
        runs.append(context.holder)
        return len(runs)

    job = Job("test-job", timedelta(hours=1), work)
    here = JobContext(app.services, app.database, holder="process-a")
    there = JobContext(app.services, app.database, holder="process-b")
    assert await run_job(job, here) == 1
    assert await run_job(job, there) is None, "another process holds the lease"
    assert await run_job(job, here) == 2, "the holder may run it again"
    later = system_clock() + timedelta(hours=1)
    app.services.clock = lambda: later
    assert await run_job(job, there) == 3, "the lease ran out, so another process takes it"
    assert runs == ["process-a", "process-a", "process-b"]


async def test_an_everywhere_job_runs_in_every_process(app: App) -> None:
    runs: list[str] = []

    async def work(context: JobContext) -> object:
        runs.append(context.holder)
        return None

    job = Job("outbox-like", timedelta(seconds=5), work, everywhere=True)
    for holder in ("a", "b"):
        await run_job(job, JobContext(app.services, app.database, holder=holder))
    assert runs == ["a", "b"]


async def test_handled_update_ids_are_forgotten_after_two_days(app: App) -> None:
    from sendbot.core.jobs.updates import purge_processed_updates

    await app.dialogue.handle(start(9001))
    context = JobContext(app.services, app.database)
    assert await purge_processed_updates(context) == 0
    later = system_clock() + timedelta(days=3)
    app.services.clock = lambda: later
    assert await purge_processed_updates(context) == 1
    assert await _count(app.database, ProcessedUpdate) == 0
