"""Regression guard for question answering on the project's own evaluation sets.

`sendbot eval tests/data/eval.jsonl --json` runs on the bundled knowledge for Bristol.
The issue's targets are top-1 >= 0.92, top-3 >= 0.98, out-of-scope rejection >= 0.90 and
false fallback <= 0.05, and every one is asserted at the target. When this guard was
last set the engine measured top-1 0.943 and top-3 0.983 over all 423 questions.

tests/data/blind.jsonl (100 in scope, 40 out) was written afterwards by someone who had
seen neither the entries, the synonyms nor the off-topic list: it shows how the engine
does on wording nobody tuned for (top-1 0.860, top-3 0.980, rejection 0.950 when
written). Never tune on it; only its safety pair is guarded here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sendbot.config import bundled_knowledge_dir
from sendbot.kb.baselines import (
    BM25Baseline,
    EmbeddingBaseline,
    EngineMethod,
    RapidfuzzBaseline,
    embeddings_available,
)
from sendbot.kb.engine import build_engine
from sendbot.kb.evaluate import EvalItem, Report, evaluate, load_eval, split
from sendbot.kb.loader import KnowledgeBase, load_knowledge
from sendbot.kb.retrieval import Retriever

EVAL_FILE = Path(__file__).resolve().parent / "data" / "eval.jsonl"
BLIND_FILE = EVAL_FILE.with_name("blind.jsonl")
BLIND2_FILE = EVAL_FILE.with_name("blind2.jsonl")
TOP1_FLOOR = 0.92
TOP3_FLOOR = 0.98
# The served engine (lexical ranking and intent classifier, issue 17), a little below
# what it measured when set (December 2026): direct right answers, the most wrong ones
# (shares of the in-scope questions), and top-1 and top-3 of the candidates shown.
# Measured: held-out 0.926 / 0.016 / 0.947 / 0.989, blind 0.910 / 0.030 / 0.950 / 0.980,
# blind2 0.938 / 0.014 / 0.972 / 0.986; the lexical engine alone 0.762, 0.680, 0.828 right.
DIRECT_FLOORS = {
    "held-out": (0.90, 0.025, 0.93, 0.975),
    "blind": (0.88, 0.035, 0.93, 0.97),
    "blind2": (0.90, 0.025, 0.95, 0.975),
}


@pytest.fixture(scope="module")
def items() -> list[EvalItem]:
    return load_eval(EVAL_FILE)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(bundled_knowledge_dir(), "bristol")


def test_the_set_is_large_varied_and_labelled_with_real_ids(
    items: list[EvalItem], kb: KnowledgeBase
) -> None:
    assert len(items) >= 300
    assert sum(1 for i in items if not i.in_scope) >= 50
    assert len({i.q for i in items}) == len(items)
    counts: dict[str, int] = {}
    for item in items:
        assert len(item.expect) <= 2
        for entry in item.expect:
            counts[entry] = counts.get(entry, 0) + 1
    assert set(counts) <= set(kb.entries)
    assert all(n >= 4 for n in counts.values()), counts
    # Both halves hold questions for every topic, so the held-out half tests them all.
    for half in ("tune", "held-out"):
        covered = {e for i in split(items, half) for e in i.expect}  # type: ignore[arg-type]
        assert covered == set(counts)


@pytest.mark.parametrize(
    "name",
    [
        "tune2.jsonl",
        "tune3.jsonl",
        "tune4.jsonl",
        "tune5.jsonl",
        "blind.jsonl",
        "blind2.jsonl",
        "blind3.jsonl",
    ],
)
def test_every_other_set_is_labelled_with_real_ids_and_no_repeats(
    kb: KnowledgeBase, name: str
) -> None:
    found = load_eval(EVAL_FILE.with_name(name))
    assert len(found) >= 140 and sum(1 for i in found if not i.in_scope) >= 30
    assert len({i.q for i in found}) == len(found)
    assert {e for i in found for e in i.expect} <= set(kb.entries)


def test_real_evaluation_meets_the_guard(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDBOT_")}
    env.update(SENDBOT_COUNCIL="bristol", SENDBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/x")
    result = subprocess.run(
        [sys.executable, "-m", "sendbot", "eval", str(EVAL_FILE), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] >= 300
    assert report["oos_rejection"] >= 0.90, report
    assert report["false_fallback"] <= 0.05, report
    assert report["top1"] >= TOP1_FLOOR, report
    assert report["top3"] >= TOP3_FLOOR, report
    assert report["answer_precision"] >= 0.95, report


def test_the_blind_set_is_turned_away_safely(kb: KnowledgeBase) -> None:
    items = load_eval(BLIND_FILE)
    assert len(items) >= 100
    assert {e for i in items for e in i.expect} <= set(kb.entries)
    report = evaluate(EngineMethod(Retriever(kb).ask), items)
    assert report.oos_rejection >= 0.90, report
    assert report.false_fallback <= 0.05, report
    assert report.answer_precision >= 0.90, report


def test_the_engine_beats_the_lexical_baselines(items: list[EvalItem], kb: KnowledgeBase) -> None:
    engine = evaluate(EngineMethod(Retriever(kb).ask), items)
    for baseline in (RapidfuzzBaseline(kb), BM25Baseline(kb)):
        baseline.calibrate(split(items, "tune"))
        measured = evaluate(baseline, items)
        assert engine.top1 > measured.top1, (baseline.name, measured)


@pytest.mark.skipif(embeddings_available() is not None, reason=embeddings_available() or "")
def test_the_engine_beats_the_embedding_model(items: list[EvalItem], kb: KnowledgeBase) -> None:
    engine = evaluate(EngineMethod(Retriever(kb).ask), items)
    model = EmbeddingBaseline(kb)
    model.calibrate(split(items, "tune"))
    measured = evaluate(model, items)
    assert engine.top1 > measured.top1, measured


@pytest.fixture(scope="module")
def served(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    return build_engine(kb, tmp_path_factory.mktemp("cache"))[0]


def measured_sets(items: list[EvalItem]) -> dict[str, list[EvalItem]]:
    return {
        "held-out": split(items, "held-out"),
        "blind": load_eval(BLIND_FILE),
        "blind2": load_eval(BLIND2_FILE),
    }


@pytest.mark.parametrize("name", sorted(DIRECT_FLOORS))
def test_the_served_engine_answers_directly_and_rarely_wrongly(
    items: list[EvalItem], kb: KnowledgeBase, served: Retriever, name: str
) -> None:
    chosen = measured_sets(items)[name]
    report: Report = evaluate(EngineMethod(served.ask), chosen)
    alone: Report = evaluate(EngineMethod(Retriever(kb).ask, "lexical"), chosen)
    right, wrong, top1, top3 = DIRECT_FLOORS[name]
    assert report.direct_right >= right, report
    assert report.direct_wrong <= wrong, report
    assert report.top1 >= top1 and report.top3 >= top3, report
    assert report.direct_right > alone.direct_right, (report, alone)
    # The classifier's support reorders the lexical candidates: top-3 never loses by it.
    assert report.top3 >= alone.top3, (report, alone)
    assert report.oos_answered <= alone.oos_answered
    total = report.direct_right + report.direct_wrong + report.clarify + report.fallback
    assert abs(total - 1.0) < 1e-9
