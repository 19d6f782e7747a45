"""The combined decision: the lexical ranking and learned voters, and its calibration."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sendbot.config import bundled_knowledge_dir
from sendbot.kb.decision import (
    Case,
    DecisionTuning,
    Vote,
    calibrate,
    combine,
    outcome_counts,
    unscored,
)
from sendbot.kb.engine import build_engine
from sendbot.kb.loader import KnowledgeBase, load_knowledge
from sendbot.kb.outcomes import Candidate, fused
from sendbot.kb.retrieval import Retriever

TUNING = DecisionTuning(agree_floor=0.4, sure=(("classifier", 0.8), ("minilm", 0.6)))


def votes(*pairs: tuple[str, str | None, float]) -> list[tuple[str, Vote]]:
    return [(name, Vote(entry, confidence)) for name, entry, confidence in pairs]


def test_agreeing_signals_answer_what_the_lexical_engine_alone_would_only_clarify() -> None:
    verdict = combine("a", 0.5, False, votes(("classifier", "a", 0.9)), TUNING)
    assert verdict.answer and not verdict.sure


def test_an_answer_is_sure_only_when_every_signal_is() -> None:
    assert combine("a", 0.9, True, votes(("classifier", "a", 0.9)), TUNING).sure
    both = votes(("classifier", "a", 0.9), ("minilm", "a", 0.5))
    verdict = combine("a", 0.9, True, both, TUNING)
    assert verdict.answer and not verdict.sure


def test_a_sure_voter_that_disagrees_turns_an_answer_into_did_you_mean() -> None:
    assert not combine("a", 0.9, True, votes(("classifier", "b", 0.95)), TUNING).answer
    # Out of scope is a disagreement too.
    assert not combine("a", 0.9, True, votes(("classifier", None, 0.95)), TUNING).answer
    # Two against one: the majority of sure signals decides.
    two = votes(("classifier", "a", 0.9), ("minilm", "b", 0.7))
    assert combine("a", 0.9, True, two, TUNING).answer


def test_unsure_signals_and_low_scores_ask() -> None:
    assert not combine("a", 0.5, False, votes(("classifier", "a", 0.5)), TUNING).answer
    assert not combine("a", 0.3, False, votes(("classifier", "a", 0.99)), TUNING).answer
    # An unsure voter leaves the lexical engine's own answer standing, unsure.
    verdict = combine("a", 0.9, True, votes(("classifier", "b", 0.3)), TUNING)
    assert verdict.answer and not verdict.sure
    # A voter nobody tuned is never sure.
    assert not combine("a", 0.5, False, votes(("other", "a", 1.0)), TUNING).answer


def test_a_very_sure_voter_answers_its_own_choice_when_the_ranking_is_unsure() -> None:
    scores = {"a": 0.7, "b": 0.5, "c": 0.3}.get

    def score_of(entry: str) -> float:
        return scores(entry, 0.0)

    sure_of_b = votes(("classifier", "b", 0.97))
    verdict = combine("a", 0.7, False, sure_of_b, TUNING, score_of)
    assert (verdict.answer, verdict.entry, verdict.sure) == (True, "b", False)
    # Not when the lexical engine is sure of its own first candidate: that is a disagreement.
    assert not combine("a", 0.7, True, sure_of_b, TUNING, score_of).answer
    # Not below the overruling confidence, nor for a choice the words barely support.
    assert not combine("a", 0.7, False, votes(("classifier", "b", 0.9)), TUNING, score_of).answer
    assert not combine("a", 0.7, False, votes(("classifier", "c", 0.99)), TUNING, score_of).answer
    # Not without lexical scores, nor for out of scope, nor when another sure voter differs.
    assert not combine("a", 0.7, False, sure_of_b, TUNING, unscored).answer
    assert not combine("a", 0.7, False, votes(("classifier", None, 0.99)), TUNING, score_of).answer
    split = votes(("classifier", "b", 0.97), ("minilm", "a", 0.7))
    assert not combine("a", 0.7, False, split, TUNING, score_of).answer
    # A voter very sure of the first candidate answers it below the agreeing floor too.
    strict = replace(TUNING, agree_floor=0.6)
    low = combine("b", 0.5, False, votes(("classifier", "b", 0.97)), strict, score_of)
    assert (low.answer, low.entry) == (True, "b")
    assert not combine("b", 0.5, False, votes(("classifier", "b", 0.9)), strict, score_of).answer


def test_calibration_replays_an_overruling_answer() -> None:
    overruled = Case(
        expect=("b",),
        refused=False,
        top="a",
        top_score=0.7,
        lexical_sure=False,
        votes=(("classifier", Vote("b", 0.97)),),
        scores=(("b", 0.5),),
    )
    assert outcome_counts([overruled], TUNING)[:2] == (1, 0)
    assert outcome_counts([overruled], replace(TUNING, overrule=0.99))[:2] == (0, 0)


def test_support_reorders_the_candidates_but_keeps_their_lexical_scores() -> None:
    candidates = [Candidate("a", 0.70), Candidate("b", 0.65), Candidate("c", 0.30)]
    support = {"a": 0.1, "b": 0.6, "c": 0.3}.get
    backed = [("classifier", Vote("b", 0.6, lambda e: support(e, 0.0)))]
    tuning = DecisionTuning(fusion=(("classifier", 0.2),))
    # a: 0.70 + 0.02, b: 0.65 + 0.12, c: 0.30 + 0.06
    assert fused(candidates, backed, tuning) == [candidates[1], candidates[0], candidates[2]]
    # No weight for the voter, or a voter with no support: the lexical order stands.
    assert fused(candidates, backed, DecisionTuning(fusion=())) == candidates
    assert fused(candidates, votes(("classifier", "b", 0.6)), tuning) == candidates


def case(expect: str | None, top: str, score: float, confidence: float) -> Case:
    return Case(
        expect=(expect,) if expect else (),
        refused=False,
        top=top,
        top_score=score,
        lexical_sure=False,
        votes=(("classifier", Vote(top, confidence)),),
    )


def test_calibration_answers_the_most_within_the_budget_of_wrong_answers() -> None:
    # Forty questions with a sure classifier (0.9), all right; ten with a middling one
    # (0.6), of which two are wrong.
    cases = [case("a", "a", 0.6, 0.9) for _ in range(40)]
    cases += [case("a", "a", 0.6, 0.6) for _ in range(8)]
    cases += [case("a", "b", 0.6, 0.6) for _ in range(2)]
    picked = calibrate(cases, ["classifier"])
    assert outcome_counts(cases, picked)[:2] == (40, 0)
    assert 0.6 < picked.threshold("classifier") <= 0.9
    # A budget of a tenth of the in-scope questions lets the middling ones through.
    loose = calibrate(cases, ["classifier"], max_wrong=0.1)
    assert outcome_counts(cases, loose)[:2] == (48, 2)


def test_calibration_never_makes_a_voter_sure_below_one_half() -> None:
    # Every answer at a confidence of 0.4 is right: a lower threshold would answer them all.
    cases = [case("a", "a", 0.6, 0.4) for _ in range(20)]
    picked = calibrate(cases, ["classifier"], max_wrong=0.5)
    assert picked.threshold("classifier") >= 0.5
    assert outcome_counts(cases, picked)[0] == 0


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(bundled_knowledge_dir(), "bristol")


@pytest.fixture(scope="module")
def engine(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    return build_engine(kb, tmp_path_factory.mktemp("cache"))[0]


def test_equal_lexical_scores_prefer_the_closer_phrasing(kb: KnowledgeBase) -> None:
    ranked = Retriever(kb).rank("local offer website")
    assert ranked[0].score == ranked[1].score
    assert [c.entry for c in ranked[:2]] == ["local-offer", "local-offer-feedback"]


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("how long does an ehcp take", "ehcp-timeline"),
        ("what is the local offer", "local-offer"),
        ("what happens at an annual review", "annual-review"),
    ],
)
def test_questions_the_lexical_engine_only_clarified_are_answered(
    kb: KnowledgeBase, engine: Retriever, question: str, entry: str
) -> None:
    assert Retriever(kb).ask(question).outcome == "clarify"
    result = engine.ask(question)
    assert (result.outcome, result.entry) == ("answer", entry)


def test_an_unsure_answer_keeps_its_alternatives(engine: Retriever) -> None:
    result = engine.ask("what is the local offer")
    assert result.outcome == "answer" and not result.sure
    assert result.candidates[1].entry == "local-offer-feedback"
    assert result.as_json()["sure"] is False


def test_a_lexical_tie_is_broken_by_the_closer_entry_and_never_answered_as_sure(
    kb: KnowledgeBase, engine: Retriever
) -> None:
    alone = Retriever(kb).ask("local offer website")
    assert alone.outcome == "clarify"
    assert [c.entry for c in alone.candidates[:2]] == ["local-offer", "local-offer-feedback"]
    result = engine.ask("local offer website")
    assert [c.entry for c in result.candidates[:2]] == ["local-offer", "local-offer-feedback"]
    # The classifier may back the closer entry; the answer then keeps the other as a button.
    assert result.outcome == "clarify" or (result.entry == "local-offer" and not result.sure)


def test_out_of_scope_questions_still_fall_back(engine: Retriever) -> None:
    for question in ("how do i pay my council tax", "tell me a joke", "renew my passport"):
        assert engine.ask(question).outcome == "fallback", question


def test_the_lexical_engine_is_what_remains_without_voters(
    kb: KnowledgeBase, engine: Retriever
) -> None:
    alone = engine.with_voters(())
    for question in ("how long does an ehcp take", "what is an ehcp", "tell me a joke"):
        assert alone.ask(question) == Retriever(kb).ask(question)


def test_the_served_engine_uses_the_cache(kb: KnowledgeBase, tmp_path: Path) -> None:
    first, built = build_engine(kb, tmp_path)
    second, cached = build_engine(kb, tmp_path)
    assert (built.cache_hit, cached.cache_hit) == (False, True)
    assert built.voters == ("classifier",)
    for question in ("local offer website", "what is a senco", "my bin was missed"):
        assert first.ask(question) == second.ask(question)


def test_the_answer_comes_first_and_a_question_lists_the_reordered_candidates(
    kb: KnowledgeBase, engine: Retriever
) -> None:
    weight = engine.decision.weight("classifier")
    outcomes = set()
    for question in ("how long does an ehcp take", "appeal", "school"):
        result = engine.ask(question)
        outcomes.add(result.outcome)
        lexical = engine.lexical(question, 10)
        ((_, vote),) = engine.votes(question)
        values = [c.score + weight * vote.support(c.entry) for c in result.candidates]
        if result.outcome == "answer":
            # The first lexical candidate, or the classifier's own choice where it overruled.
            assert result.candidates[0].entry == result.entry
            assert result.entry in (lexical.candidates[0].entry, vote.entry)
            values = values[1:]
        assert values == sorted(values, reverse=True), question
    assert outcomes == {"answer", "clarify"}


class Favouring:
    """A voter sure of one entry, whatever the question."""

    name = "classifier"

    def __init__(self, entry: str) -> None:
        self.entry = entry

    def vote(self, question: str) -> Vote:
        return Vote(self.entry, 0.99, lambda e: 1.0 if e == self.entry else 0.0, (self.entry,))


def test_an_entry_a_voter_favours_is_weighed_even_below_the_lexical_top_ten(
    kb: KnowledgeBase,
) -> None:
    lexical = Retriever(kb)
    question = "ehcp"  # one word that many entries explain equally well
    ranked = [c.entry for c in lexical.rank(question, limit=len(kb.entries))]
    outside = next(e for e in ranked[10:] if e != ranked[0])
    never_overrules = DecisionTuning(fusion=(("classifier", 1.0),), overrule=1.01)
    result = lexical.with_voters([Favouring(outside)], never_overrules).ask(question)
    assert result.candidates[0].entry == outside
    # Moved up by the voter alone, and not sure enough to overrule: offered, not answered.
    assert result.outcome == "clarify"
