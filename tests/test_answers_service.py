"""The answers service called directly, as the chat flows, the console and the CLI do.

The rules live there once: what counts as an answer, a "did you mean" or a fallback; which
questions are kept as gaps; a vote counts once, for the answer awaiting one; a "Not what you
asked?" choice counts only if it was offered; an officer's read of the gaps is audited.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sendbot.app import App
from sendbot.core.answers import feedback, gaps, questions
from sendbot.core.answers.results import Answer, Clarify, Fallback
from sendbot.core.people import Parent
from sendbot.storage.answers import NEAR_MISS
from sendbot.storage.models import AuditRecord, KnowledgeGap, Officer

UNSURE = "what is the local offer"  # answered, but the classifier is not sure of it
SURE = "what is an ehcp"
PARENT = Parent(chat_key="p" * 64, channel="web", chat_ref=None)


async def kept(app: App) -> list[KnowledgeGap]:
    async with app.database.unit_of_work() as uow:
        return list((await uow.session.execute(select(KnowledgeGap))).scalars())


async def test_a_sure_answer_keeps_nothing(real: App) -> None:
    async with real.database.unit_of_work() as uow:
        reply = await questions.ask(uow, real.services, PARENT, SURE)
    assert isinstance(reply, Answer) and reply.alternatives == () and reply.gap is None
    assert reply.entry == real.services.retriever.ask(SURE).entry
    assert await kept(real) == []


async def test_an_unsure_answer_offers_alternatives_and_keeps_the_question(real: App) -> None:
    engine = real.services.retriever.ask(UNSURE)
    async with real.database.unit_of_work() as uow:
        reply = await questions.ask(uow, real.services, PARENT, UNSURE)
    assert isinstance(reply, Answer) and reply.entry == engine.entry
    assert reply.alternatives == tuple(c.entry for c in engine.candidates[1:3])
    assert all(e in real.services.kb.entries and e != reply.entry for e in reply.alternatives)
    rows = await kept(real)
    assert [(r.id, r.outcome, r.top_entry) for r in rows] == [(reply.gap, "unsure", engine.entry)]


async def test_an_unsure_answer_with_nothing_offerable_keeps_nothing(real: App) -> None:
    async with real.database.unit_of_work() as uow:
        reply = await questions.ask(uow, real.services, PARENT, UNSURE, offerable=lambda e: False)
    assert isinstance(reply, Answer) and reply.alternatives == () and reply.gap is None
    assert await kept(real) == []


async def test_a_fallback_is_kept_redacted(real: App) -> None:
    question = "how do I pay my council tax, call 07911 123456"
    async with real.database.unit_of_work() as uow:
        reply = await questions.ask(uow, real.services, PARENT, question)
    assert isinstance(reply, Fallback)
    (row,) = await kept(real)
    assert row.outcome == "fallback" and "07911" not in row.question


def test_decide_offers_only_entries_in_the_knowledge_base(real: App) -> None:
    for text in (UNSURE, SURE, "ehcp", "council tax", "school"):
        result = real.services.retriever.ask(text)
        reply = questions.decide(real.services.kb, result)
        offered = reply.choices if isinstance(reply, Clarify) else ()
        if isinstance(reply, Answer):
            offered = reply.alternatives
        assert all(e in real.services.kb.entries for e in offered)
        assert len(offered) <= (questions.CHOICES if isinstance(reply, Clarify) else 2)
        answered = result.outcome == "answer" and result.entry
        expected = Answer if answered else Clarify if result.outcome == "clarify" else Fallback
        assert isinstance(reply, expected)


async def test_a_vote_counts_once_and_only_for_the_answer_awaiting_it(real: App) -> None:
    now = real.services.clock()
    async with real.database.unit_of_work() as uow:
        assert not await feedback.vote(uow, now, "ehcp-timeline", "local-offer", helpful=True)
        assert not await feedback.vote(uow, now, None, "local-offer", helpful=True)
        assert not await feedback.vote(uow, now, "", "", helpful=True)
        assert await feedback.vote(uow, now, "local-offer", "local-offer", helpful=False)
        assert await uow.feedback.counts() == {"local-offer": (0, 1)}


async def test_a_choice_counts_only_if_it_was_offered(real: App) -> None:
    now = real.services.clock()
    async with real.database.unit_of_work() as uow:
        reply = await questions.ask(uow, real.services, PARENT, UNSURE)
    assert isinstance(reply, Answer) and reply.alternatives and reply.gap is not None
    chosen = reply.alternatives[0]
    async with real.database.unit_of_work() as uow:
        offered = reply.alternatives
        assert not await feedback.choose_alternative(
            uow, now, "sendiass", offered, reply.gap, reply.entry
        )
        assert not await feedback.choose_alternative(uow, now, chosen, offered, None, reply.entry)
        assert await feedback.choose_alternative(uow, now, chosen, offered, reply.gap, reply.entry)
        assert await uow.feedback.counts() == {reply.entry: (0, 1)}
    assert [(r.outcome, r.top_entry) for r in await kept(real)] == [(NEAR_MISS, chosen)]


async def test_an_officer_reads_the_gaps_audited_and_the_cli_reads_the_same_report(
    real: App,
) -> None:
    now = real.services.clock()
    async with real.database.unit_of_work() as uow:
        for days_ago in (1, 2):
            await uow.gaps.add("bins?", "bins", "fallback", None, 0.1, at=now - timedelta(days_ago))
        await uow.gaps.add("old", "old", "fallback", None, 0.1, at=now - timedelta(100))
        officer = await uow.officers.add(Officer(role="lead", active=True, name="Lead"))
    async with real.database.unit_of_work() as uow:
        seen = await gaps.for_officer(uow, real.services, officer)
        assert [(g.question, g.count) for g in seen] == [("bins?", 2)]
        assert await gaps.report(uow, now) == seen
        actions = (await uow.session.execute(select(AuditRecord.action))).scalars().all()
        assert list(actions) == ["gaps.view"]
        assert await gaps.purge(uow, now) == 1
