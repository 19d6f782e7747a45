"""What the answers service returns: an answer, a "did you mean", or a plain fallback."""

from __future__ import annotations

from dataclasses import dataclass

from sendbot.kb.retrieval import AnswerResult


@dataclass(frozen=True)
class Answer:
    """Answer with one entry.

    An answer not every signal was sure of carries `alternatives`, the next candidates
    for "Not what you asked?", and `gap`, the id of the question kept as one the bot was
    unsure about (None if nothing was left of it once redacted).
    """

    entry: str
    result: AnswerResult
    alternatives: tuple[str, ...] = ()
    gap: int | None = None


@dataclass(frozen=True)
class Clarify:
    """Ask "did you mean" with up to three entries."""

    choices: tuple[str, ...]
    result: AnswerResult


@dataclass(frozen=True)
class Fallback:
    """No good answer: say so plainly and offer SENDIASS and a person."""

    result: AnswerResult


Reply = Answer | Clarify | Fallback
