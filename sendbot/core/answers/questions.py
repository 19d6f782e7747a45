"""A parent's free-text question: what counts as an answer, a "did you mean" or a fallback.

Every question that does not end in a sure answer is kept as a knowledge gap, with
personal data (and the names of the children linked to the parent's chat) removed.
"""

from __future__ import annotations

from collections.abc import Callable

from sendbot.core.answers.results import Answer, Clarify, Fallback, Reply
from sendbot.core.people import Parent, linked_child_names
from sendbot.core.redaction import redact
from sendbot.core.services import Services
from sendbot.kb.loader import KnowledgeBase
from sendbot.kb.normalise import normalise
from sendbot.kb.retrieval import AnswerResult
from sendbot.storage.unit_of_work import UnitOfWork

ALTERNATIVES = 2  # how many "Not what you asked?" choices an unsure answer offers
CHOICES = 3  # how many entries a "did you mean" offers


def _any(entry_id: str) -> bool:
    """Every entry can be offered."""
    return True


def decide(
    kb: KnowledgeBase, result: AnswerResult, offerable: Callable[[str], bool] = _any
) -> Reply:
    """What the engine's result means for the parent, before anything is kept.

    `offerable` says whether the front end can offer an entry as a choice (a chat button
    holds only so many bytes); only entries in the knowledge base are ever offered.
    """
    if result.outcome == "answer" and result.entry:
        others: tuple[str, ...] = ()
        if not result.sure:
            others = tuple(
                c.entry
                for c in result.candidates[1:]
                if c.entry in kb.entries and c.entry != result.entry and offerable(c.entry)
            )[:ALTERNATIVES]
        return Answer(result.entry, result, alternatives=others)
    if result.outcome == "clarify":
        choices = tuple(c.entry for c in result.candidates if c.entry in kb.entries)[:CHOICES]
        return Clarify(choices, result)
    return Fallback(result)


async def ask(
    uow: UnitOfWork,
    services: Services,
    parent: Parent,
    text: str,
    offerable: Callable[[str], bool] = _any,
) -> Reply:
    """Answer a parent's question, keeping it as a gap unless the answer was sure.

    An unsure answer is kept (as "unsure") only when it offers alternatives, so that a
    press of one can mark it a near miss; a "did you mean" or a fallback always is.
    """
    reply = decide(services.kb, services.retriever.ask(text), offerable)
    if isinstance(reply, Answer):
        if not reply.alternatives:
            return reply
        gap = await keep_gap(uow, services, parent, text, reply.result, outcome="unsure")
        return Answer(reply.entry, reply.result, reply.alternatives, gap)
    await keep_gap(uow, services, parent, text, reply.result)
    return reply


async def keep_gap(
    uow: UnitOfWork,
    services: Services,
    parent: Parent,
    text: str,
    result: AnswerResult,
    outcome: str | None = None,
) -> int | None:
    """Keep a question the bot was unsure about, with personal data removed; its row id."""
    known = services.retriever.known_words()
    names = await linked_child_names(uow, services.keyring, parent.chat_key)
    question = redact(text, known, names=names)
    if not question:
        return None
    top = result.candidates[0] if result.candidates else None
    row = await uow.gaps.add(
        question=question,
        key=normalise(question),
        outcome=outcome or result.outcome,
        top_entry=top.entry if top else None,
        score=result.score,
        at=services.clock(),
    )
    return row.id
