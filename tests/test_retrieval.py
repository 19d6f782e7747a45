"""The question engine on the small test knowledge base: ranking and the three outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendbot.kb.loader import load_knowledge
from sendbot.kb.retrieval import AnswerResult, Candidate, Retriever, Tuning


@pytest.fixture
def retriever(knowledge_dir: Path) -> Retriever:
    return Retriever(load_knowledge(knowledge_dir, "testshire"))


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("how long does an EHCP take?", "ehcp-timeline"),
        ("how many weeks until the final EHC plan", "ehcp-timeline"),
        ("how lnog does an ehcp tkae", "ehcp-timeline"),  # typos
        ("where can I find the local offer", "local-offer"),
        ("who gives free independent send advice", "sendiass"),
        ("what is SENDIAS", "sendiass"),
    ],
)
def test_clear_questions_are_answered(retriever: Retriever, question: str, entry: str) -> None:
    result = retriever.ask(question)
    assert result.outcome == "answer", result
    assert result.entry == entry
    assert result.candidates[0].entry == entry
    assert 0 < result.score <= 1


@pytest.mark.parametrize(
    "question",
    [
        "how do I pay my council tax",
        "when are the bins collected",
        "renew my passport",
        "tell me a joke",
        "asdfghjkl qwerty",
        "what is 2+2",
        "how do i appeal a parking fine",
        "",
        "   ",
        "???",
    ],
)
def test_out_of_scope_questions_fall_back(retriever: Retriever, question: str) -> None:
    result = retriever.ask(question)
    assert result.outcome == "fallback", result
    assert result.entry is None


def test_a_plausible_but_unclear_question_asks_did_you_mean(knowledge_dir: Path) -> None:
    kb = load_knowledge(knowledge_dir, "testshire")
    strict = Retriever(kb, Tuning(answer_threshold=0.99, clarify_threshold=0.05))
    result = strict.ask("local send advice")
    assert result.outcome == "clarify"
    assert result.entry is None
    assert {c.entry for c in result.candidates} >= {"local-offer", "sendiass"}
    assert len(result.candidates) <= 3


def test_decide_uses_thresholds_and_margin(retriever: Retriever) -> None:
    t = retriever.tuning
    high = t.answer_threshold + 0.1
    clear = [Candidate("a", high), Candidate("b", high - 2 * t.answer_margin)]
    close = [Candidate("a", high), Candidate("b", high - t.answer_margin / 2)]
    middling = [Candidate("a", (t.answer_threshold + t.clarify_threshold) / 2)]
    low = [Candidate("a", t.clarify_threshold / 2)]
    assert retriever.decide(clear).outcome == "answer"
    assert retriever.decide(close).outcome == "clarify"
    assert retriever.decide(middling).outcome == "clarify"
    assert retriever.decide(low).outcome == "fallback"
    assert retriever.decide([]).outcome == "fallback"


def test_candidates_are_ranked_and_limited(retriever: Retriever) -> None:
    ranked = retriever.rank("local offer and free advice", limit=10)
    scores = [c.score for c in ranked]
    assert scores == sorted(scores, reverse=True)
    assert len({c.entry for c in ranked}) == len(ranked)
    assert len(retriever.ask("local offer and free advice", limit=2).candidates) <= 2


def test_local_pack_entry_replaces_the_national_one(retriever: Retriever) -> None:
    assert retriever.kb.entries["local-offer"].scope == "testshire"
    assert retriever.ask("testshire local offer website").entry == "local-offer"


def test_json_shape(retriever: Retriever) -> None:
    data = retriever.ask("how long does an ehcp take").as_json()
    assert set(data) == {"outcome", "entry", "sure", "score", "candidates"}
    assert data["outcome"] in ("answer", "clarify", "fallback")
    assert isinstance(data["score"], float)
    assert all(set(c) == {"entry", "score"} for c in data["candidates"])  # type: ignore[attr-defined]
    assert AnswerResult("fallback", None, 0.0).as_json()["candidates"] == []


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_an_outcome(text: str) -> None:
    kb = _shared_kb()
    result = _shared_retriever(kb).ask(text)
    assert result.outcome in ("answer", "clarify", "fallback")
    assert (result.entry is not None) == (result.outcome == "answer")
    assert len(result.candidates) <= 3


_CACHE: dict[str, object] = {}


def _shared_kb() -> object:
    from tests.conftest import TEST_KB

    if "kb" not in _CACHE:
        _CACHE["kb"] = load_knowledge(TEST_KB, "testshire")
    return _CACHE["kb"]


def _shared_retriever(kb: object) -> Retriever:
    if "retriever" not in _CACHE:
        _CACHE["retriever"] = Retriever(kb)  # type: ignore[arg-type]
    retriever = _CACHE["retriever"]
    assert isinstance(retriever, Retriever)
    return retriever


def test_the_knowledge_folder_synonyms_are_used(knowledge_dir: Path) -> None:
    (knowledge_dir / "synonyms.yaml").write_text("groups:\n  - [local offer, zzlocal]\n")
    retriever = Retriever(load_knowledge(knowledge_dir, "testshire"))
    assert retriever.analyser.terms("zzlocal") == retriever.analyser.terms("local offer")


def test_a_council_entry_keeps_the_national_phrasings(retriever: Retriever) -> None:
    local = retriever.kb.entries["local-offer"]
    national = retriever.kb.overridden["local-offer"]
    texts = retriever._phrasings_of(local)
    assert set(national.questions) <= set(texts) and set(local.questions) <= set(texts)
    # "directory of send provision" is only a national phrasing.
    assert retriever.ask("directory of send provision").entry == "local-offer"


def test_the_council_name_is_not_evidence(retriever: Retriever) -> None:
    assert "testshir" in retriever._places
    assert retriever.ask("testshire").outcome == "fallback"
    assert retriever.ask("testshire local offer").entry == "local-offer"


def test_unknown_everyday_words_count_against_a_question(knowledge_dir: Path) -> None:
    kb = load_knowledge(knowledge_dir, "testshire")
    plain = Retriever(kb, Tuning(unknown_weight=0.0, unknown_rare_weight=0.0))
    weighed = Retriever(kb)
    question = "how long does the council take to fix a fence"
    assert weighed.ask(question).score < plain.ask(question).score
    # A made-up word (a name, say) weighs less than an everyday one.
    assert weighed.ask("how long does an ehcp take zorblax").score > (
        weighed.ask("how long does an ehcp take passport").score
    )
