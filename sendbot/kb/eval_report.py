"""`sendbot eval` over several sets and methods in one run, and the decision's calibration.

Every method is measured on every set in the same process: the engine as served (the
lexical ranking with the intent classifier, `sendbot`), the lexical engine alone as it
was before (`lexical`), the engine with the embedding voter as well where the optional
extra is installed (`sendbot+minilm`), and the baselines. Every threshold any of them
uses is chosen on the tuning half of one file (`--tune-on`, by default the first), and
only the held-out half of that file is measured; other files are measured whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sendbot.kb.baselines import EngineMethod, build_baselines
from sendbot.kb.decision import Case, DecisionTuning
from sendbot.kb.decision import calibrate as calibrate_decision
from sendbot.kb.engine import build_engine
from sendbot.kb.evaluate import EvalItem, Method, evaluate
from sendbot.kb.evaluate import calibrate as calibrate_lexical
from sendbot.kb.loader import KnowledgeBase
from sendbot.kb.retrieval import Retriever

COLUMNS = (
    ("top1", "top1"),
    ("top3", "top3"),
    ("mrr", "mrr"),
    ("oos_rejection", "oos_rej"),
    ("direct_right", "right"),
    ("direct_wrong", "wrong"),
    ("clarify", "clarify"),
    ("fallback", "fallbk"),
    ("oos_answered", "oos_ans"),
    ("p50_ms", "p50_ms"),
    ("p99_ms", "p99_ms"),
)


def decision_cases(engine: Retriever, items: Sequence[EvalItem]) -> list[Case]:
    """What replaying the combined decision on some labelled questions needs."""
    found: list[Case] = []
    for item in items:
        lexical, score_of = engine.lexical_scores(item.q)
        top = lexical.candidates[0] if lexical.candidates else None
        votes = engine.votes(item.q)
        chosen = {vote.entry for _, vote in votes if vote.entry is not None}
        found.append(
            Case(
                expect=item.expect,
                refused=lexical.outcome == "fallback",
                top=top.entry if top else None,
                top_score=top.score if top else 0.0,
                lexical_sure=lexical.outcome == "answer",
                votes=votes,
                scores=tuple((entry, score_of(entry)) for entry in sorted(chosen)),
            )
        )
    return found


def calibrate(engine: Retriever, tuning_items: Sequence[EvalItem]) -> DecisionTuning:
    """The decision's numbers chosen on the tuning half for this engine's voters."""
    names = [voter.name for voter in engine.voters]
    return calibrate_decision(decision_cases(engine, tuning_items), names)


@dataclass
class EvalSet:
    """One labelled set to measure, and its name in the report."""

    name: str
    items: list[EvalItem]


@dataclass
class Methods:
    """Every method of one run, with notes on any that could not be built."""

    methods: list[Method]
    notes: list[str] = field(default_factory=list)
    calibration: dict[str, Any] = field(default_factory=dict)


def build_methods(
    kb: KnowledgeBase,
    tuning_items: Sequence[EvalItem],
    cache_dir: Path | None,
    *,
    baselines: bool,
    recalibrate: bool,
) -> Methods:
    """The engine as served, the lexical engine alone, and the baselines if asked for."""
    notes: list[str] = []
    engine, _ = build_engine(kb, cache_dir)
    found = Methods([], notes)
    if recalibrate:
        picked = calibrate(engine, tuning_items)
        found.calibration["sendbot"] = _tuning_json(picked)
        engine = engine.with_voters(engine.voters, picked)
    lexical = engine.with_voters(())
    if recalibrate:
        alone = calibrate_lexical(lexical.rank, tuning_items, evidence=lexical.evidence)
        found.calibration["lexical"] = {"clarify": alone.clarify, "answer": alone.answer}
    found.methods += [EngineMethod(engine.ask), EngineMethod(lexical.ask, "lexical")]
    if baselines:
        with_minilm, info = build_engine(kb, cache_dir, embeddings=True)
        if "minilm" in info.voters:
            if recalibrate:
                picked = calibrate(with_minilm, tuning_items)
                found.calibration["sendbot+minilm"] = _tuning_json(picked)
                with_minilm = with_minilm.with_voters(with_minilm.voters, picked)
            found.methods.append(EngineMethod(with_minilm.ask, "sendbot+minilm"))
        for baseline in build_baselines(kb, notes.append):
            baseline.calibrate(tuning_items)
            found.methods.append(baseline)
    for method in found.methods:
        method.ask("warm up")
    return found


def measure(methods: Sequence[Method], sets: Sequence[EvalSet]) -> list[dict[str, Any]]:
    """Every method on every set: one report (as JSON) per pair, grouped by set."""
    return [
        {
            "set": s.name,
            "n": len(s.items),
            "n_in_scope": sum(1 for i in s.items if i.in_scope),
            "methods": [evaluate(m, s.items).as_json() for m in methods],
        }
        for s in sets
    ]


def format_tables(results: Sequence[dict[str, Any]], echo: Callable[[str], None]) -> None:
    """Each set's table: one method a row, rates of in-scope questions for the outcomes."""
    for result in results:
        echo(
            f"{result['set']}: {result['n']} questions, {result['n_in_scope']} in scope "
            "(right/wrong/clarify/fallbk: share of in-scope questions answered rightly, "
            "answered wrongly, asked 'did you mean', fallen back; oos_ans: share of "
            "out-of-scope questions answered)"
        )
        echo(f"{'method':<15}" + "".join(f" {label:>7}" for _, label in COLUMNS))
        for row in result["methods"]:
            echo(f"{row['method']:<15}" + "".join(f" {row[key]:>7.3f}" for key, _ in COLUMNS))
        echo("")


def _tuning_json(tuning: DecisionTuning) -> dict[str, Any]:
    return {"agree_floor": tuning.agree_floor, "sure": dict(tuning.sure)}
