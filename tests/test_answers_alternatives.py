"""'Not what you asked?': an unsure answer offers the next candidates, and a press is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from sqlalchemy import select

from sendbot.app import App
from sendbot.config import bundled_knowledge_dir
from sendbot.core.answers.gaps import gap_report
from sendbot.core.messages import Inbound, InboundKind, Outbound
from sendbot.storage.answers import NEAR_MISS
from sendbot.storage.models import KnowledgeGap

MESSAGES = yaml.safe_load((bundled_knowledge_dir() / "messages.yaml").read_text())["answer"]
UNSURE = "what is the local offer"  # answered, but the classifier is not sure of it


async def say(app: App, text: str, chat: str = "1", channel: str = "telegram") -> list[Outbound]:
    return await app.dialogue.handle(Inbound(channel, chat, InboundKind.TEXT, text))


async def press(app: App, data: str, chat: str = "1", channel: str = "telegram") -> list[Outbound]:
    return await app.dialogue.handle(Inbound(channel, chat, InboundKind.BUTTON, data))


async def gaps(app: App) -> list[KnowledgeGap]:
    async with app.database.unit_of_work() as uow:
        return list((await uow.session.execute(select(KnowledgeGap))).scalars().all())


def alternatives(reply: Outbound) -> list[str]:
    return [b.data for b in reply.flat_buttons if b.data.startswith("w:")]


@pytest.mark.parametrize("channel", ["telegram", "web"])
async def test_an_unsure_answer_offers_the_next_two_candidates(real: App, channel: str) -> None:
    result = real.services.retriever.ask(UNSURE)
    assert result.outcome == "answer" and not result.sure
    replies = await say(real, UNSURE, channel=channel)
    last = replies[-1]
    expected = [f"w:{c.entry}" for c in result.candidates[1:3]]
    assert alternatives(last) == expected
    assert MESSAGES["not_what_you_asked"] in last.html
    assert MESSAGES["helpful_prompt"] in last.html  # the vote is still asked
    assert all(alternatives(r) == [] for r in replies[:-1])
    # The question is kept as one the bot was unsure about, redacted like any gap.
    rows = await gaps(real)
    assert [(r.outcome, r.top_entry) for r in rows] == [("unsure", result.entry)]


async def test_a_sure_answer_has_no_alternatives(real: App) -> None:
    question = "what is an ehcp"
    assert real.services.retriever.ask(question).sure
    replies = await say(real, question)
    assert alternatives(replies[-1]) == []
    assert await gaps(real) == []


async def test_pressing_an_alternative_shows_it_and_records_the_near_miss(real: App) -> None:
    replies = await say(real, UNSURE)
    choice = alternatives(replies[-1])[0]
    chosen = choice.split(":", 1)[1]
    shown = await press(real, choice)
    title = real.services.kb.entries[chosen].title
    assert shown[0].html.startswith(f"<b>{title}</b>")
    assert f"h:y:{chosen}" in [b.data for b in shown[-1].flat_buttons]
    rows = await gaps(real)
    assert [(r.outcome, r.top_entry) for r in rows] == [(NEAR_MISS, chosen)]
    async with real.database.unit_of_work() as uow:
        assert await uow.feedback.counts() == {"local-offer": (0, 1)}
    # `kb gaps` lists it with the entry the parent wanted.
    report = await gap_report(real.database, real.services.clock() + timedelta(minutes=1))
    assert [(g.outcome, g.count) for g in report] == [(NEAR_MISS, 1)]
    # A second press of the same button shows the entry again but counts nothing more.
    await press(real, choice)
    async with real.database.unit_of_work() as uow:
        assert await uow.feedback.counts() == {"local-offer": (0, 1)}
    assert [(r.outcome, r.top_entry) for r in await gaps(real)] == [(NEAR_MISS, chosen)]


async def test_a_stale_or_forged_choice_records_nothing(real: App) -> None:
    await say(real, UNSURE)
    shown = await press(real, "w:sendiass")  # not one of the choices offered
    assert shown[0].html.startswith("<b>")
    assert [r.outcome for r in await gaps(real)] == ["unsure"]
    gone = await press(real, "w:no-such-entry")
    assert gone  # the stale-button reply, never an error
