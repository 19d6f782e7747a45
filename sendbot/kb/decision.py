"""Answer, "did you mean" or fall back, from the lexical ranking and learned voters together.

The lexical engine (`retrieval.Retriever`) ranks the entries and decides on its own as it
always has. Each learned voter (the intent classifier, and sentence embeddings where the
optional extra is installed) names the entry it thinks is meant, or out of scope, and is
*sure* when its confidence reaches its own threshold. The lexical engine is sure of its
first candidate when it would answer alone.

- A question the lexical engine falls back on still falls back: whether a question is in
  scope is decided as before (`Retriever.decide`).
- Otherwise the first lexical candidate is answered when its score reaches `agree_floor`
  and the sure votes for it (the lexical engine's own included) are at least one and
  outnumber the sure votes for anything else (another entry, or out of scope). So two
  signals that agree answer a question the lexical engine alone would only clarify;
  a sure learned voter that disagrees turns the lexical engine's answer into "did you
  mean"; and when no signal is sure the parent is asked.
- When that does not answer, a learned voter that is very sure (`overrule`) answers its
  own choice, if the lexical engine is not sure of anything, no other voter is sure of
  something else, and the lexical score of that choice reaches `overrule_floor`: the
  phrasings it learned from say what the question means where the words alone were
  split between entries.
- An answer is given with full confidence when every signal is sure of it; otherwise the
  next candidates go with it as "Not what you asked?" buttons.

`DecisionTuning` holds the numbers; `calibrate` chooses them on the tuning half.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from sendbot.kb.classifier import OUT_OF_SCOPE, IntentModel, Reader, plain


def no_support(entry: str) -> float:
    """The support of a voter that only names its choice: none for any entry."""
    return 0.0


def unscored(entry: str) -> float:
    """The lexical score of an entry where none is known: none."""
    return 0.0


@dataclass(frozen=True, slots=True)
class Vote:
    """One voter's choice: an entry id, or None for out of scope, and its confidence."""

    entry: str | None
    confidence: float
    # How much the voter backs any entry (its probability), for ordering the candidates.
    support: Callable[[str], float] = no_support
    # The entries it backs most, best first, to be weighed even if the ranking missed them.
    favourites: tuple[str, ...] = ()


class Voter(Protocol):
    """A second opinion on which entry a question is about."""

    name: str

    def vote(self, question: str) -> Vote: ...


@dataclass(frozen=True)
class DecisionTuning:
    """The numbers of the combined decision, chosen by `calibrate`.

    The defaults were chosen on the held-out half of tests/data/tune3.jsonl, the one set
    the December 2026 phrasing work never looked at (the others had been tuned on).
    """

    # The lowest lexical score at which an answer the learned voters back is given.
    agree_floor: float = 0.52
    # A voter is sure from this confidence up (by voter name; unnamed: never sure).
    sure: tuple[tuple[str, float], ...] = (("classifier", 0.525), ("minilm", 0.6))
    # How much of a voter's support is added to a candidate's lexical score to order the
    # candidates (by voter name; unnamed: none).
    fusion: tuple[tuple[str, float], ...] = (("classifier", 0.2),)
    # A voter this sure answers its own choice when the lexical engine is sure of nothing,
    # if that choice's lexical score reaches `overrule_floor`.
    overrule: float = 0.95
    overrule_floor: float = 0.4

    def weight(self, voter: str) -> float:
        """How much a voter's support moves a candidate in the order."""
        return dict(self.fusion).get(voter, 0.0)

    def threshold(self, voter: str) -> float:
        """From which confidence a voter is sure."""
        return dict(self.sure).get(voter, float("inf"))

    def with_threshold(self, voter: str, value: float) -> DecisionTuning:
        """The same tuning with one voter's threshold changed."""
        found = dict(self.sure)
        found[voter] = value
        return replace(self, sure=tuple(sorted(found.items())))


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the combined decision chose for a question the lexical engine did not refuse."""

    answer: bool
    sure: bool
    # The entry answered: the first lexical candidate, or the one a voter overruled it with.
    entry: str | None = None


def combine(
    top: str,
    top_score: float,
    lexical_sure: bool,
    votes: Sequence[tuple[str, Vote]],
    tuning: DecisionTuning,
    score_of: Callable[[str], float] = unscored,
) -> Verdict:
    """Which entry to answer, if any, and whether with full confidence.

    `score_of` gives any entry's lexical score, for a voter's overruling choice.
    """
    backing = int(lexical_sure)
    against = 0
    for name, vote in votes:
        if vote.confidence < tuning.threshold(name):
            continue
        if vote.entry == top:
            backing += 1
        else:
            against += 1
    if top_score >= tuning.agree_floor and backing >= 1 and backing > against:
        return Verdict(answer=True, sure=backing == len(votes) + 1, entry=top)
    chosen = None if lexical_sure else overruling(votes, tuning, score_of)
    return Verdict(answer=chosen is not None, sure=False, entry=chosen)


def overruling(
    votes: Sequence[tuple[str, Vote]], tuning: DecisionTuning, score_of: Callable[[str], float]
) -> str | None:
    """The entry a very sure voter answers against an unsure ranking, if the others allow."""
    sure = {vote.entry for name, vote in votes if vote.confidence >= tuning.threshold(name)}
    if len(sure) != 1:
        return None
    chosen = sure.pop()
    very_sure = any(v.entry == chosen and v.confidence >= tuning.overrule for _, v in votes)
    if chosen is None or not very_sure or score_of(chosen) < tuning.overrule_floor:
        return None
    return chosen


# How many of its most probable entries the classifier offers to the ranking.
FAVOURITES = 3


class IntentVoter:
    """The intent classifier as a voter: its most probable class and that probability."""

    name = "classifier"

    def __init__(self, model: IntentModel, reader: Reader = plain) -> None:
        self.model = model
        # Reads a question the way the model's training texts were read.
        self.reader = reader
        self._position = {label: i for i, label in enumerate(model.classes)}

    def vote(self, question: str) -> Vote:
        """The classifier's choice (None for the out-of-scope class)."""
        probabilities = self.model.probabilities(self.reader(question))
        # One stable sort gives the choice (the first of equals, as argmax) and the runners-up.
        leading = np.argsort(-probabilities, kind="stable")[: FAVOURITES + 1]
        best = int(leading[0])
        label = self.model.classes[best]
        position = self._position

        def support(entry: str) -> float:
            found = position.get(entry)
            return 0.0 if found is None else float(probabilities[found])

        favourites = tuple(
            self.model.classes[i] for i in leading if self.model.classes[i] != OUT_OF_SCOPE
        )[:FAVOURITES]
        label_or_none = None if label == OUT_OF_SCOPE else label
        return Vote(label_or_none, float(probabilities[best]), support, favourites)


# -- calibration ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    """What the tuning half's question needs to replay the decision with other numbers."""

    expect: tuple[str, ...]
    refused: bool
    top: str | None
    top_score: float
    lexical_sure: bool
    votes: tuple[tuple[str, Vote], ...]
    # The lexical score of each entry a voter chose (for replaying an overruling).
    scores: tuple[tuple[str, float], ...] = ()

    def score_of(self, entry: str) -> float:
        """The lexical score of an entry a voter chose (0 if unknown)."""
        return dict(self.scores).get(entry, 0.0)


def outcome_counts(cases: Iterable[Case], tuning: DecisionTuning) -> tuple[int, int, int]:
    """Right answers to in-scope questions, wrong answers (any question), and questions."""
    right = wrong = total = 0
    for case in cases:
        total += 1
        if case.refused or case.top is None:
            continue
        verdict = combine(
            case.top, case.top_score, case.lexical_sure, case.votes, tuning, case.score_of
        )
        if not verdict.answer:
            continue
        if verdict.entry in case.expect:
            right += 1
        else:
            wrong += 1
    return right, wrong, total


def calibrate(
    cases: Sequence[Case],
    voters: Sequence[str],
    max_wrong: float = 0.015,
    start: DecisionTuning | None = None,
) -> DecisionTuning:
    """The numbers that answer the most tuning questions rightly, within a budget of wrong ones.

    Wrong answers (to in-scope questions, or any answer to an out-of-scope one) may be
    at most `max_wrong` of the in-scope questions: below the target of 0.02, so that a
    new set has some room. A grid over the lexical floor and each voter's threshold (one
    at a time, twice over, as coordinate ascent); ties go to the stricter numbers. A
    voter is never sure below 0.5, where another entry could be as likely: in a small
    knowledge base a lower number would make it sure of almost anything.
    """
    tuning = start or DecisionTuning()
    floors = [round(float(x), 3) for x in np.arange(0.20, 0.70, 0.02)]
    levels = [round(float(x), 3) for x in np.arange(0.50, 0.99, 0.025)]
    allowed = max_wrong * sum(1 for case in cases if case.expect)

    def goodness(candidate: DecisionTuning) -> tuple[int, int]:
        right, wrong, _ = outcome_counts(cases, candidate)
        return (right if wrong <= allowed else -1, -wrong)

    for _ in range(2):
        for name in voters:
            options = [tuning.with_threshold(name, level) for level in levels]
            tuning = _best(options, goodness)
        tuning = _best([replace(tuning, agree_floor=f) for f in floors], goodness)
    return tuning


def _best(options: Sequence[DecisionTuning], goodness: object) -> DecisionTuning:
    """The option with the highest goodness; the last (strictest) on ties."""
    assert callable(goodness)
    best = options[0]
    best_value = goodness(best)
    for option in options[1:]:
        value = goodness(option)
        if value >= best_value:
            best, best_value = option, value
    return best
