"""Answer, "did you mean" or fall back: the outcome of a ranked question.

The ranking (`retrieval.Retriever`) says how well each entry explains a question; this
module turns that into what the parent gets:

- Two calibrated thresholds and a margin (`retrieval.Tuning`): answer when the top entry
  is clearly good and clearly ahead; "did you mean" when it is plausible; fall back (say
  so plainly and offer a person) otherwise.
- Whether it is plausible also weighs a second signal the ranking never sees: a
  question whose SEND terms outnumber its everyday words no entry uses
  (`Retriever.in_domain`) needs `domain_bonus` less score to be offered as "did you
  mean". So "sencoo wont reply" is clarified, while "tribunal for a parking ticket" and
  "council tax" still fall back.
- A question an off-topic subject (knowledge/off-topic.yaml) explains at least as well
  as the best entry falls back. The clarify threshold is calibrated without them
  (`evidence`), so that it still turns away questions about subjects the list does not
  name.
- With voters (the intent classifier, built by `kb/engine.py`), a question the lexical
  decision does not send to the fallback is answered or clarified by
  `decision.combine`, which weighs the lexical decision with theirs.

`Deciding` is the half of `Retriever` that does this; it needs only the ranking's
methods it names.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Generic, Literal, Protocol, Self, TypeVar

import numpy as np

from sendbot.kb.decision import DecisionTuning, Vote, Voter, combine

Outcome = Literal["answer", "clarify", "fallback"]
# How many lexical candidates the voters may reorder (with the entries they favour most).
FUSION_POOL = 10


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry and how well it matches."""

    entry: str
    score: float


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """What the engine decided for one question."""

    outcome: Outcome
    entry: str | None
    score: float
    candidates: list[Candidate] = field(default_factory=list)
    # An answer every signal was sure of; one given with less goes with its alternatives.
    sure: bool = True

    def as_json(self) -> dict[str, object]:
        """The shape `sendbot ask --json` prints."""
        return {
            "outcome": self.outcome,
            "entry": self.entry,
            "sure": self.sure,
            "score": round(self.score, 4),
            "candidates": [{"entry": c.entry, "score": round(c.score, 4)} for c in self.candidates],
        }


def fused(
    candidates: Sequence[Candidate], votes: Sequence[tuple[str, Vote]], tuning: DecisionTuning
) -> list[Candidate]:
    """The candidates ordered by lexical score plus each voter's weighted support.

    Each keeps its lexical score (what the answer floor and the parent's view use); the
    sort is stable, so equal sums keep the lexical order.
    """
    weights = [(tuning.weight(name), vote) for name, vote in votes if tuning.weight(name)]
    if not weights:
        return list(candidates)

    def value(candidate: Candidate) -> float:
        return candidate.score + sum(w * vote.support(candidate.entry) for w, vote in weights)

    return sorted(candidates, key=value, reverse=True)


class Thresholds(Protocol):
    """The numbers of the lexical decision (kept in `retrieval.Tuning`)."""

    @property
    def answer_threshold(self) -> float: ...
    @property
    def clarify_threshold(self) -> float: ...
    @property
    def answer_margin(self) -> float: ...
    @property
    def domain_bonus(self) -> float: ...


Query = TypeVar("Query")  # an analysed question (`retrieval.Query`)


class Deciding(Generic[Query]):
    """Answer, clarify or fall back, from the ranking's methods and the voters' choices."""

    tuning: Thresholds
    voters: tuple[Voter, ...]
    decision: DecisionTuning

    # -- what the ranking provides (`retrieval.Retriever`) ---------------------------

    def analyse(self, question: str) -> Query:
        """A question's terms, sentence by sentence."""
        raise NotImplementedError

    def in_domain(self, question: Query) -> bool:
        """Whether a question is about SEND."""
        raise NotImplementedError

    def _rank(self, question: Query, limit: int) -> list[Candidate]:
        raise NotImplementedError

    def _scored(self, question: Query) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _best(self, scores: np.ndarray, closeness: np.ndarray, limit: int) -> list[Candidate]:
        raise NotImplementedError

    def _off_topic(self, scores: np.ndarray) -> float:
        raise NotImplementedError

    def _position(self, entry: str) -> int | None:
        """Where an entry's score is in the scores `_scored` gives (None: not an entry)."""
        raise NotImplementedError

    # -- deciding ----------------------------------------------------------------------

    def decide(
        self,
        candidates: list[Candidate],
        limit: int = 3,
        *,
        domain: bool = False,
        off_topic: float = 0.0,
    ) -> AnswerResult:
        """Choose answer, clarify or fallback from ranked candidates.

        `domain` says the question is about SEND (`in_domain`): its top entry then needs
        `domain_bonus` less score to be offered as "did you mean", never to be given as
        a direct answer. `off_topic` is the best off-topic subject's score: when it is at
        least the top entry's, the question is about something else and falls back.
        """
        t = self.tuning
        shown = candidates[:limit]
        if not candidates:
            return AnswerResult("fallback", None, 0.0, [])
        top = candidates[0].score
        if off_topic >= top:
            return AnswerResult("fallback", None, top, shown)
        second = candidates[1].score if len(candidates) > 1 else 0.0
        if top >= t.answer_threshold and top - second >= t.answer_margin:
            return AnswerResult("answer", candidates[0].entry, top, shown)
        if self._in_scope_evidence(top, domain) >= t.clarify_threshold:
            return AnswerResult("clarify", None, top, shown)
        return AnswerResult("fallback", None, top, shown)

    def _in_scope_evidence(self, top: float, domain: bool) -> float:
        """What the clarify threshold is compared with: the top score, more for SEND terms."""
        return top + (self.tuning.domain_bonus if domain else 0.0)

    def evidence(self, question: str) -> float:
        """How much a question looks in scope, as `decide` weighs it against falling back.

        The off-topic subjects are left out on purpose: the clarify threshold calibrated on
        this must also turn away questions about subjects that list does not name.
        """
        query = self.analyse(question)
        ranked = self._rank(query, 1)
        if not ranked:
            return 0.0
        return self._in_scope_evidence(ranked[0].score, self.in_domain(query))

    def lexical(self, question: str, limit: int = 3) -> AnswerResult:
        """The lexical engine's decision alone: rank, then answer, clarify or fall back."""
        return self._lexical(self.analyse(question), limit)[0]

    def _lexical(self, query: Query, limit: int) -> tuple[AnswerResult, np.ndarray]:
        """The lexical decision for an analysed question, and every document's score."""
        scores, closeness = self._scored(query)
        ranked = self._best(scores, closeness, max(limit, 2))
        decided = self.decide(
            ranked,
            limit,
            domain=bool(ranked) and self.in_domain(query),
            off_topic=self._off_topic(scores),
        )
        return decided, scores

    def votes(self, question: str) -> tuple[tuple[str, Vote], ...]:
        """Every voter's choice for a question, by voter name."""
        return tuple((voter.name, voter.vote(question)) for voter in self.voters)

    def ask(self, question: str, limit: int = 3) -> AnswerResult:
        """Rank entries for a question and choose answer, clarify or fallback.

        With voters, a question the lexical engine does not refuse is answered or
        clarified by `decision.combine`, which judges the first lexical candidate (or
        lets a very sure voter answer its own choice); the candidates shown are ordered
        by `fused`, after the answer when there is one.
        """
        result, scores = self._lexical(self.analyse(question), FUSION_POOL)
        if not self.voters or result.outcome == "fallback" or not result.candidates:
            return replace(result, candidates=result.candidates[:limit])
        votes = self.votes(question)
        pool = list(result.candidates)
        listed = {c.entry for c in pool}
        for _, vote in votes:  # an entry a voter favours is weighed even if ranked lower
            for entry in vote.favourites:
                index = self._position(entry)
                if entry not in listed and index is not None and scores[index] > 0:
                    pool.append(Candidate(entry, float(scores[index])))
                    listed.add(entry)
        ranked = fused(pool, votes, self.decision)
        top = result.candidates[0]
        lexical_sure = result.outcome == "answer"
        score_of = self._score_of(scores)
        verdict = combine(top.entry, top.score, lexical_sure, votes, self.decision, score_of)
        if not verdict.answer or verdict.entry is None:
            return replace(result, outcome="clarify", entry=None, candidates=ranked[:limit])
        chosen = verdict.entry
        first = next((c for c in pool if c.entry == chosen), Candidate(chosen, score_of(chosen)))
        shown = [first, *(c for c in ranked if c.entry != chosen)][:limit]
        return replace(
            result,
            outcome="answer",
            entry=chosen,
            score=first.score,
            sure=verdict.sure,
            candidates=shown,
        )

    def lexical_scores(self, question: str) -> tuple[AnswerResult, Callable[[str], float]]:
        """The lexical decision alone, and any entry's lexical score for the question."""
        result, scores = self._lexical(self.analyse(question), 3)
        return result, self._score_of(scores)

    def _score_of(self, scores: np.ndarray) -> Callable[[str], float]:
        """Any entry's score in one question's scores (0 for an unknown id)."""

        def score_of(entry: str) -> float:
            index = self._position(entry)
            return 0.0 if index is None else float(scores[index])

        return score_of

    def with_voters(self, voters: Sequence[Voter], decision: DecisionTuning | None = None) -> Self:
        """The same engine deciding with other voters (none: the lexical engine alone)."""
        found = copy.copy(self)  # the indexes are shared, never changed after building
        found.voters = tuple(voters)
        found.decision = decision or self.decision
        return found
