"""Measure question answering on a labelled set: accuracy, safety and speed.

The evaluation file is JSON Lines, one `{"q": "...", "expect": ["entry-id", ...]}` a
line; an empty `expect` marks a question the bot should not answer (out of scope).

Metrics (in-scope questions are those with a non-empty `expect`):
- top1: share of in-scope questions whose outcome is "answer" or "clarify" and whose
  first candidate is expected;
- top3: the same with any of the first three candidates;
- mrr: mean over in-scope questions of 1/rank of the first expected candidate among the
  first ten, counted as 0 when the outcome is "fallback" or no expected entry is listed;
- oos_rejection: share of out-of-scope questions whose outcome is "fallback";
- false_fallback: share of in-scope questions whose outcome is "fallback";
- answer_precision: share of "answer" outcomes (in or out of scope) that name an
  expected entry, the measure of confidently wrong answers;
- direct_right, direct_wrong, clarify, fallback: what in-scope questions got: an answer
  naming an expected entry, an answer naming another, "did you mean", the fallback
  (the four add up to 1; `fallback` is `false_fallback`);
- oos_answered: share of out-of-scope questions given a direct answer;
- p50_ms, p99_ms: time to answer one question.

`split` divides a set deterministically (by a hash of each question) into a tuning half,
used to choose thresholds, and a held-out half that no choice ever looks at.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from sendbot.kb.retrieval import AnswerResult, Candidate

Split = Literal["all", "tune", "held-out"]
MRR_DEPTH = 10


class EvalError(ValueError):
    """The evaluation file is malformed; the message names the line."""


@dataclass(frozen=True)
class EvalItem:
    """One labelled question."""

    q: str
    expect: tuple[str, ...]

    @property
    def in_scope(self) -> bool:
        """Whether some entry should answer it."""
        return bool(self.expect)


def load_eval(path: Path) -> list[EvalItem]:
    """Read a JSON Lines evaluation file."""
    items: list[EvalItem] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                question = raw["q"]
                expect = raw.get("expect", [])
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise EvalError(f"{path}:{number}: {error}") from error
            if not isinstance(question, str) or not isinstance(expect, list):
                raise EvalError(f"{path}:{number}: q must be text and expect a list")
            items.append(EvalItem(question, tuple(str(e) for e in expect)))
    return items


def in_tuning_half(question: str) -> bool:
    """Whether a question belongs to the tuning half (stable across runs and machines)."""
    return hashlib.sha256(question.strip().encode("utf-8")).digest()[0] % 2 == 0


def split(items: Sequence[EvalItem], which: Split) -> list[EvalItem]:
    """All items, the tuning half or the held-out half."""
    if which == "all":
        return list(items)
    want = which == "tune"
    return [i for i in items if in_tuning_half(i.q) == want]


class Method(Protocol):
    """Anything that answers a question the way the engine does."""

    name: str

    def ask(self, question: str, limit: int = 3) -> AnswerResult: ...


@dataclass
class Report:
    """The metrics of one method on one set."""

    method: str
    n: int
    n_in_scope: int
    n_out_of_scope: int
    top1: float
    top3: float
    mrr: float
    oos_rejection: float
    false_fallback: float
    answer_precision: float
    answer_rate: float
    direct_right: float
    direct_wrong: float
    clarify: float
    fallback: float
    oos_answered: float
    p50_ms: float
    p99_ms: float

    def as_json(self) -> dict[str, object]:
        """Rounded values for printing."""
        out: dict[str, object] = {}
        for key, value in asdict(self).items():
            out[key] = round(value, 4) if isinstance(value, float) else value
        return out


@dataclass(frozen=True)
class Outcome:
    """What a method did with one item."""

    item: EvalItem
    result: AnswerResult
    ranked: list[Candidate]
    seconds: float


def run(method: Method, items: Sequence[EvalItem]) -> list[Outcome]:
    """Ask every question, timing each."""
    outcomes = []
    for item in items:
        start = time.perf_counter()
        result = method.ask(item.q, limit=MRR_DEPTH)
        seconds = time.perf_counter() - start
        outcomes.append(Outcome(item, result, list(result.candidates), seconds))
    return outcomes


def score(name: str, outcomes: Sequence[Outcome]) -> Report:
    """The metrics of some outcomes."""
    inside = [o for o in outcomes if o.item.in_scope]
    outside = [o for o in outcomes if not o.item.in_scope]
    top1 = top3 = reciprocal = 0.0
    fallbacks = 0
    for o in inside:
        if o.result.outcome == "fallback":
            fallbacks += 1
            continue
        ids = [c.entry for c in o.ranked]
        if ids and ids[0] in o.item.expect:
            top1 += 1
        if any(i in o.item.expect for i in ids[:3]):
            top3 += 1
        for rank, entry in enumerate(ids[:MRR_DEPTH], 1):
            if entry in o.item.expect:
                reciprocal += 1.0 / rank
                break
    answered = [o for o in outcomes if o.result.outcome == "answer"]
    right = sum(1 for o in answered if o.result.entry in o.item.expect)
    rejected = sum(1 for o in outcomes if not o.item.in_scope and o.result.outcome == "fallback")
    times = np.array([o.seconds * 1000 for o in outcomes]) if outcomes else np.zeros(1)
    n_in = len(inside)
    direct_right = sum(1 for o in inside if o.result.outcome == "answer" and _right(o))
    direct_wrong = sum(1 for o in inside if o.result.outcome == "answer" and not _right(o))
    clarified = sum(1 for o in inside if o.result.outcome == "clarify")
    oos_answered = sum(1 for o in outside if o.result.outcome == "answer")
    return Report(
        method=name,
        n=len(outcomes),
        n_in_scope=n_in,
        n_out_of_scope=len(outside),
        top1=top1 / n_in if n_in else 0.0,
        top3=top3 / n_in if n_in else 0.0,
        mrr=reciprocal / n_in if n_in else 0.0,
        oos_rejection=rejected / len(outside) if outside else 1.0,
        false_fallback=fallbacks / n_in if n_in else 0.0,
        answer_precision=right / len(answered) if answered else 1.0,
        answer_rate=len(answered) / len(outcomes) if outcomes else 0.0,
        direct_right=direct_right / n_in if n_in else 0.0,
        direct_wrong=direct_wrong / n_in if n_in else 0.0,
        clarify=clarified / n_in if n_in else 0.0,
        fallback=fallbacks / n_in if n_in else 0.0,
        oos_answered=oos_answered / len(outside) if outside else 0.0,
        p50_ms=float(np.percentile(times, 50)),
        p99_ms=float(np.percentile(times, 99)),
    )


def _right(outcome: Outcome) -> bool:
    """Whether a direct answer names an expected entry."""
    return outcome.result.entry in outcome.item.expect


def evaluate(method: Method, items: Sequence[EvalItem]) -> Report:
    """Run and score a method on some items."""
    return score(method.name, run(method, items))


# -- calibration ------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Where a method's confidence turns into clarify and answer."""

    clarify: float
    answer: float


def calibrate(
    rank: Callable[[str], list[Candidate]],
    items: Sequence[EvalItem],
    precision: float = 0.95,
    rejection: float = 0.90,
    evidence: Callable[[str], float] | None = None,
) -> Thresholds:
    """Choose thresholds on labelled items, the same way for every method.

    The clarify threshold is the lowest that still sends at least `rejection` of the
    out-of-scope questions to the fallback (the safety target), placed halfway between
    the highest out-of-scope score it must refuse and the next score up, so that in-scope
    questions are answered or clarified as often as that allows. It is compared with
    `evidence` of a question when the method has one (the engine's top score plus its
    SEND-term bonus), else with the top score. The answer threshold is the lowest top
    score at or above it at which the answers given would be right at least `precision`
    of the time.
    """
    tops: list[tuple[float, bool, bool]] = []  # score, in scope, first candidate right
    weighed: list[tuple[float, bool]] = []  # what the clarify threshold meets, in scope
    for item in items:
        ranked = rank(item.q)
        top = ranked[0].score if ranked else 0.0
        right = bool(ranked) and ranked[0].entry in item.expect
        tops.append((top, item.in_scope, right))
        weighed.append((evidence(item.q) if evidence else top, item.in_scope))
    clarify = _clarify_threshold(weighed, rejection)
    answer = clarify
    for cut in sorted({t[0] for t in tops if t[0] >= clarify}):
        given = [(inside and right) for s, inside, right in tops if s >= cut]
        if given and sum(given) / len(given) >= precision:
            answer = cut
            break
    else:
        answer = max((t[0] for t in tops), default=clarify) + 1e-6
    return Thresholds(clarify=clarify, answer=max(answer, clarify))


def _clarify_threshold(scores: Sequence[tuple[float, bool]], rejection: float) -> float:
    """The lowest threshold that refuses `rejection` of the out-of-scope scores."""
    outside = sorted((s for s, inside in scores if not inside), reverse=True)
    allowed = int(len(outside) * (1.0 - rejection) + 1e-9)
    if len(outside) <= allowed:
        return 0.0
    refused = outside[allowed]
    above = [s for s, _ in scores if s > refused]
    return (refused + min(above)) / 2 if above else refused + 1e-6
