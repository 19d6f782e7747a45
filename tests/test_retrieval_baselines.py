"""The baselines the engine is compared with, and threshold calibration."""

from __future__ import annotations

from pathlib import Path

import pytest

from sendbot.kb.baselines import (
    BM25Baseline,
    EmbeddingBaseline,
    RapidfuzzBaseline,
    embeddings_available,
)
from sendbot.kb.evaluate import EvalItem, calibrate, evaluate
from sendbot.kb.loader import KnowledgeBase, load_knowledge
from sendbot.kb.retrieval import Candidate

ITEMS = [
    EvalItem("how long does an ehcp take", ("ehcp-timeline",)),
    EvalItem("what is the local offer", ("local-offer",)),
    EvalItem("free advice service", ("sendiass",)),
    EvalItem("renew my passport", ()),
    EvalItem("tell me a joke", ()),
]


@pytest.fixture
def kb(knowledge_dir: Path) -> KnowledgeBase:
    return load_knowledge(knowledge_dir, "testshire")


def test_rapidfuzz_baseline_matches_extract_one(kb: KnowledgeBase) -> None:
    method = RapidfuzzBaseline(kb)
    ranked = method.rank("how long does an ehcp take")
    assert ranked[0].entry == "ehcp-timeline"
    best = method.top1("how long does an ehcp take")
    assert best is not None and best[0] == ranked[0].entry
    assert best[1] == pytest.approx(ranked[0].score, abs=1e-4)


def test_bm25_baseline_ranks(kb: KnowledgeBase) -> None:
    method = BM25Baseline(kb)
    assert method.rank("local offer website")[0].entry == "local-offer"
    assert method.rank("zzzz") == []


def test_calibration_separates_in_and_out_of_scope() -> None:
    scores = {
        "a": [Candidate("x", 0.9)],
        "b": [Candidate("y", 0.7)],
        "c": [Candidate("x", 0.2)],
        "d": [Candidate("x", 0.3)],
    }
    items = [
        EvalItem("a", ("x",)),
        EvalItem("b", ("y",)),
        EvalItem("c", ()),
        EvalItem("d", ()),
    ]
    chosen = calibrate(lambda q: scores[q], items)
    assert 0.3 < chosen.clarify <= 0.7
    assert chosen.clarify == pytest.approx(0.5)  # halfway between 0.3 and 0.7
    assert chosen.answer >= chosen.clarify


def test_calibration_refuses_the_required_share_of_out_of_scope_questions() -> None:
    inside = [EvalItem(f"in {n}", ("x",)) for n in range(10)]
    outside = [EvalItem(f"out {n}", ()) for n in range(10)]
    score = {f"in {n}": 0.5 + n / 20 for n in range(10)} | {f"out {n}": n / 10 for n in range(10)}
    chosen = calibrate(lambda q: [Candidate("x", score[q])], [*inside, *outside], rejection=0.9)
    refused = sum(1 for n in range(10) if score[f"out {n}"] < chosen.clarify)
    assert refused == 9  # one out-of-scope question (0.9) may pass, no more
    assert chosen.clarify == pytest.approx((0.8 + 0.85) / 2)


def test_calibrated_baselines_are_evaluated(kb: KnowledgeBase) -> None:
    method = RapidfuzzBaseline(kb)
    method.calibrate(ITEMS)
    report = evaluate(method, ITEMS)
    assert report.n == 5 and report.n_in_scope == 3


@pytest.mark.skipif(
    embeddings_available() is not None,
    reason=embeddings_available() or "",
)
def test_embedding_baseline(kb: KnowledgeBase) -> None:
    method = EmbeddingBaseline(kb)
    assert method.rank("how many weeks until I get the final plan")[0].entry == "ehcp-timeline"
    method.calibrate(ITEMS)
    assert evaluate(method, ITEMS).top1 > 0
