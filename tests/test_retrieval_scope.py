"""The out-of-scope signal beside the ranking score: SEND terms against everyday words.

Run on the bundled knowledge for Bristol, whose vocabulary the signal is built from.
"""

from __future__ import annotations

import pytest

from sendbot.config import bundled_knowledge_dir
from sendbot.kb.evaluate import EvalItem, calibrate
from sendbot.kb.loader import load_knowledge
from sendbot.kb.retrieval import Candidate, Retriever


@pytest.fixture(scope="module")
def retriever() -> Retriever:
    return Retriever(load_knowledge(bundled_knowledge_dir(), "bristol"))


def _send(retriever: Retriever, question: str) -> list[str]:
    return retriever.domain_terms(retriever.analyse(question))


def _off(retriever: Retriever, question: str) -> list[str]:
    return retriever.off_topic_words(retriever.analyse(question))


def test_send_terms_are_the_jargon_not_everyday_words(retriever: Retriever) -> None:
    assert _send(retriever, "can the SENCO ask the paediatrician about my EHCP") == [
        "senco",
        "paediatrician",
        "ehcp",
    ]
    # A synonym phrase counts as its group: "EHC plan" is "ehcp", "my son" is not jargon.
    assert _send(retriever, "my son's EHC plan") == ["ehcp"]
    # Everyday words are not, even when the entries use them all the time.
    assert _send(retriever, "my son needs more help at school from the council") == []
    assert _send(retriever, "pay council tax online") == []


def test_off_topic_words_are_everyday_words_no_entry_uses(retriever: Retriever) -> None:
    assert _off(retriever, "where do i renew a passport") == ["renew", "passport"]
    assert _off(retriever, "pay council tax online") == ["tax"]
    # A made-up word (a name, an unrepaired typo) is not evidence either way.
    assert _off(retriever, "zorblax ehcp") == []
    # Nor is a word as everyday as "meant" or "seem": it says nothing of another subject.
    assert _off(retriever, "are schools meant to have a senco, ours doesnt seem to") == []


def test_an_everyday_word_does_not_outweigh_a_send_term(retriever: Retriever) -> None:
    query = retriever.analyse("are schools meant to have a senco")
    assert retriever.in_domain(query)
    assert not retriever.in_domain(retriever.analyse("senco for my council tax"))


def test_a_send_question_with_a_typo_is_clarified_not_dropped(retriever: Retriever) -> None:
    question = "the sencoo is rude"
    plain = retriever.with_tuning(domain_bonus=0.0).ask(question)
    result = retriever.ask(question)
    assert plain.outcome == "fallback"
    assert result.outcome == "clarify"
    assert "complain-school" in {c.entry for c in result.candidates}


@pytest.mark.parametrize(
    "question",
    [
        "can i take my landlord to tribunal",
        "tribunal for a parking ticket",
        "autism friendly restaurants near me",
        "ofsted report for my local gym",
        "council tax reduction for carers",
    ],
)
def test_an_off_topic_question_falls_back_despite_a_send_word(
    retriever: Retriever, question: str
) -> None:
    assert _send(retriever, question)
    assert retriever.ask(question).outcome == "fallback"


def test_the_send_bonus_reaches_clarify_never_answer(retriever: Retriever) -> None:
    t = retriever.tuning
    middling = [Candidate("a", t.clarify_threshold - t.domain_bonus / 2)]
    assert retriever.decide(middling).outcome == "fallback"
    assert retriever.decide(middling, domain=True).outcome == "clarify"
    near = [Candidate("a", t.answer_threshold - 0.01)]
    assert retriever.decide(near, domain=True).outcome == "clarify"


def test_evidence_adds_the_bonus_only_for_a_send_question(retriever: Retriever) -> None:
    bonus = retriever.tuning.domain_bonus
    send = "sencoo wont reply"
    assert retriever.evidence(send) == pytest.approx(retriever.rank(send)[0].score + bonus)
    other = "pay council tax online"
    assert retriever.evidence(other) == pytest.approx(retriever.rank(other)[0].score)
    assert retriever.evidence("???") == 0.0


def test_calibration_sets_the_clarify_threshold_on_the_evidence() -> None:
    tops = {"in": 0.4, "out": 0.45}
    evidence = {"in": 0.7, "out": 0.45}
    items = [EvalItem("in", ("x",)), EvalItem("out", ())]

    def rank(question: str) -> list[Candidate]:
        return [Candidate("x", tops[question])]

    plain = calibrate(rank, items, rejection=1.0)
    weighed = calibrate(rank, items, rejection=1.0, evidence=evidence.__getitem__)
    assert plain.clarify > tops["in"]  # on the top score alone the in-scope one is lost
    assert evidence["out"] < weighed.clarify <= evidence["in"]
