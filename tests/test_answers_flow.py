"""Answers in the dialogue: 'Was this helpful?' counts and redacted knowledge gaps."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy import select

from sendbot.app import App
from sendbot.clock import system_clock
from sendbot.core.answers.gaps import gap_report, purge_gaps
from sendbot.core.messages import Inbound, InboundKind, Outbound
from sendbot.core.schedule import scheduled_jobs
from sendbot.storage.models import KnowledgeGap

MESSAGES = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "knowledge" / "messages.yaml").read_text()
)["answer"]


async def say(app: App, text: str, chat: str = "1") -> list[Outbound]:
    return await app.dialogue.handle(Inbound("telegram", chat, InboundKind.TEXT, text))


async def press(app: App, data: str, chat: str = "1") -> list[Outbound]:
    return await app.dialogue.handle(Inbound("telegram", chat, InboundKind.BUTTON, data))


async def counts(app: App) -> dict[str, tuple[int, int]]:
    async with app.database.unit_of_work() as uow:
        return await uow.feedback.counts()


async def gaps(app: App) -> list[KnowledgeGap]:
    async with app.database.unit_of_work() as uow:
        return list((await uow.session.execute(select(KnowledgeGap))).scalars().all())


async def test_an_answer_asks_whether_it_helped(app: App) -> None:
    replies = await say(app, "how long does an EHCP take?")
    assert replies[0].html.startswith("<b>How long an EHC plan should take</b>")
    last = replies[-1]  # the question rides on the answer's last part: one message, not two
    assert last.html.endswith("\n\n" + MESSAGES["helpful_prompt"])
    assert "Sources:" not in last.html  # the sources, like the detail, are a button away
    assert [b.data.split(":")[0] for b in last.buttons[1]] == ["more", "src"]
    helpful_row = last.buttons[0]
    assert [b.data for b in helpful_row] == ["h:y:ehcp-timeline", "h:n:ehcp-timeline"]
    assert [b.label for b in helpful_row] == [MESSAGES["helpful_yes"], MESSAGES["helpful_no"]]
    assert sum(MESSAGES["helpful_prompt"] in r.html for r in replies) == 1
    assert await gaps(app) == []


async def test_votes_are_counted_once_per_answer(app: App) -> None:
    await say(app, "how long does an EHCP take?")
    thanks = await press(app, "h:y:ehcp-timeline")
    assert thanks[0].html == MESSAGES["thanks_feedback"]
    await press(app, "h:y:ehcp-timeline")  # a second press of the same button
    assert await counts(app) == {"ehcp-timeline": (1, 0)}
    await say(app, "how long does an EHCP take?", chat="2")
    sorry = await press(app, "h:n:ehcp-timeline", chat="2")
    assert sorry[0].html == MESSAGES["sorry_feedback"]
    assert "m:contact" in [b.data for b in sorry[0].flat_buttons]
    assert await counts(app) == {"ehcp-timeline": (1, 1)}


async def test_a_vote_for_another_answer_is_not_counted(app: App) -> None:
    await say(app, "how long does an EHCP take?")
    await press(app, "h:y:sendiass")
    await press(app, "h:y")
    assert await counts(app) == {}


async def test_unanswered_questions_are_kept_redacted(app: App) -> None:
    replies = await say(
        app, "My son Oliver needs a council tax discount, call 07911 123456 or jo@example.com"
    )
    assert replies[0].html == MESSAGES["fallback"]
    rows = await gaps(app)
    assert len(rows) == 1
    kept = rows[0].question
    assert rows[0].outcome == "fallback"
    for secret in ("Oliver", "07911", "jo@example.com"):
        assert secret not in kept
    assert "[name]" in kept and "[phone]" in kept and "[email]" in kept
    assert "council tax" in kept


async def test_gap_report_counts_and_purge_keeps_ninety_days(app: App) -> None:
    now = system_clock()
    async with app.database.unit_of_work() as uow:
        for days_ago in (1, 2, 3):
            await uow.gaps.add("bins?", "bins", "fallback", None, 0.1, at=now - timedelta(days_ago))
        await uow.gaps.add("parking?", "parking", "fallback", None, 0.1, at=now)
        await uow.gaps.add("old one", "old one", "clarify", "x", 0.4, at=now - timedelta(100))
    report = await gap_report(app.database, now)
    assert [(g.question, g.count) for g in report] == [("bins?", 3), ("parking?", 1)]
    assert report[0].first.date() == (now - timedelta(3)).date()
    assert report[0].last.date() == (now - timedelta(1)).date()
    assert await purge_gaps(app.database, now) == 1
    assert len(await gaps(app)) == 4


def test_the_purge_of_gap_questions_runs_daily() -> None:
    jobs = {job.name: job for job in scheduled_jobs()}
    assert jobs["retention-purge"].interval == timedelta(days=1)
