"""Retention: each kind of record goes when its time is up, and not a day before."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from sendbot.app import App, open_app
from sendbot.config import Settings
from sendbot.core.jobs.registry import JobContext
from sendbot.core.messages import Outbound
from sendbot.core.outbox import enqueue
from sendbot.core.privacy.retention import purge_expired
from sendbot.core.schedule import scheduled_jobs
from sendbot.storage.models import (
    Conversation,
    KnowledgeGap,
    LinkFailure,
    OutboxMessage,
    Ticket,
)
from tests.privacy_helpers import NOW, Clock, Parent, linked_parent

DAY = timedelta(days=1)


async def count(app: App, model: Any, *where: Any) -> int:
    async with app.database.unit_of_work() as uow:
        query = select(func.count()).select_from(model).where(*where)
        return int((await uow.session.execute(query)).scalar_one())


async def backdate(app: App, model: Any, column: Any, when: datetime, *where: Any) -> None:
    async with app.database.unit_of_work() as uow:
        await uow.session.execute(update(model).where(*where).values({column.key: when}))


async def queue(app: App, key: str, status: str, created: datetime) -> None:
    async with app.database.unit_of_work() as uow:
        await enqueue(
            uow,
            dedupe_key=key,
            channel="terminal",
            chat_ref=app.services.keyring.encrypt("1001"),
            message=Outbound("hello"),
            keyring=app.services.keyring,
        )
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key == key)
            .values(status=status, created_at=created)
        )


async def test_each_kind_goes_after_its_period(settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"closed_ticket_days": 60})
    async with open_app(settings) as app:
        app.services.clock = Clock()
        idle, active = Parent(app, "1"), Parent(app, "2")
        await idle.send("/start")
        await active.send("/start")
        await backdate(
            app, Conversation, Conversation.updated_at, NOW - 31 * DAY,
            Conversation.chat_key == idle.chat_key,
        )  # fmt: skip
        await backdate(
            app, Conversation, Conversation.updated_at, NOW - 29 * DAY,
            Conversation.chat_key == active.chat_key,
        )  # fmt: skip
        async with app.database.unit_of_work() as uow:
            await uow.gaps.add("old question", "old", "fallback", None, 0.0, at=NOW - 91 * DAY)
            await uow.gaps.add("new question", "new", "fallback", None, 0.0, at=NOW - 89 * DAY)
            await uow.cases.record_failure("someone", NOW - 8 * DAY, None)
            await uow.cases.record_failure("someone", NOW - 6 * DAY, None)
        await queue(app, "sent-old", "sent", NOW - 31 * DAY)
        await queue(app, "sent-new", "sent", NOW - 29 * DAY)
        await queue(app, "pending-old", "pending", NOW - 31 * DAY)

        parent = await linked_parent(app, tmp_path, chat_id="3")
        old_ref = await parent.ask_for_a_person("An old question about Oliver")
        new_ref = await parent.ask_for_a_person("A newer question about Oliver")
        async with app.database.unit_of_work() as uow:
            for reference, closed in ((old_ref, NOW - 61 * DAY), (new_ref, NOW - 59 * DAY)):
                await uow.session.execute(
                    update(Ticket)
                    .where(Ticket.reference == reference)
                    .values(status="closed", closed_at=closed)
                )

        report = await purge_expired(app.database, app.services.settings, NOW)

        assert (report.conversations, report.knowledge_gaps) == (1, 1)
        assert (report.outbox_messages, report.link_failures, report.tickets_emptied) == (1, 1, 1)
        assert await count(app, Conversation, Conversation.chat_key == idle.chat_key) == 0
        assert await count(app, Conversation, Conversation.chat_key == active.chat_key) == 1
        assert await count(app, KnowledgeGap, KnowledgeGap.question == "new question") == 1
        assert await count(app, LinkFailure) == 1
        kept = {"sent-new", "pending-old"}
        async with app.database.unit_of_work() as uow:
            keys = set((await uow.session.execute(select(OutboxMessage.dedupe_key))).scalars())
            rows = (await uow.session.execute(select(Ticket.reference, Ticket.body))).all()
            bodies = {reference: body for reference, body in rows}
        assert kept <= keys and "sent-old" not in keys
        assert bodies[old_ref] is None and bodies[new_ref] is not None
        assert await count(app, Ticket) == 2  # the emptied ticket still counts

        again = await purge_expired(app.database, app.services.settings, NOW)
        assert again.total == 0


async def test_the_daily_job_runs_the_purge(settings: Settings) -> None:
    async with open_app(settings) as app:
        app.services.clock = Clock(NOW + 40 * DAY)
        await Parent(app, "1").send("/start")
        (job,) = [j for j in scheduled_jobs() if j.name == "retention-purge"]
        assert job.interval == timedelta(days=1)
        report = await job.run(JobContext(app.services, app.database))
        assert report is not None
        async with app.database.unit_of_work() as uow:
            assert await uow.conversations.get(Parent(app, "1").chat_key) is not None
        app.services.clock = Clock(NOW + 80 * DAY)
        await job.run(JobContext(app.services, app.database))
        assert await count(app, Conversation) == 0


def run_purge(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sendbot", "purge", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def test_cli_purge_runs_once(
    settings: Settings, env_for_cli: dict[str, str], tmp_path: Path
) -> None:
    async with open_app(settings) as app, app.database.unit_of_work() as uow:
        await uow.gaps.add("ancient", "ancient", "fallback", None, 0.0, at=NOW - 400 * DAY)
    env = dict(env_for_cli, SENDBOT_SECRET_KEY="test-secret-key-not-for-production")
    result = await asyncio.to_thread(run_purge, env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["knowledge_gaps"] == 1


async def test_every_job_that_purges_gap_questions_keeps_them_as_long_as_configured(
    settings: Settings,
) -> None:
    """A council keeping gap questions longer than 90 days: no job deletes them earlier."""
    longer = settings.model_copy(update={"gap_days": 120})
    async with open_app(longer) as app:
        app.services.clock = Clock(NOW)
        async with app.database.unit_of_work() as uow:
            await uow.gaps.add("kept", "kept", "fallback", None, 0.0, at=NOW - 100 * DAY)
            await uow.gaps.add("gone", "gone", "fallback", None, 0.0, at=NOW - 130 * DAY)
        jobs = [j for j in scheduled_jobs() if "purge" in j.name]
        assert "retention-purge" in {j.name for j in jobs}
        for job in jobs:
            await job.run(JobContext(app.services, app.database))
        async with app.database.unit_of_work() as uow:
            left = (await uow.session.execute(select(KnowledgeGap.question))).scalars().all()
        assert left == ["kept"]
