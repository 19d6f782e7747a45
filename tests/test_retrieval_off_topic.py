"""Off-topic subjects (off-topic.yaml): read as data, ranked beside entries, never shown."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sendbot.config import bundled_knowledge_dir
from sendbot.kb.check import check_knowledge
from sendbot.kb.loader import KnowledgeBase, load_knowledge
from sendbot.kb.off_topic import OffTopicError, OffTopics
from sendbot.kb.retrieval import Candidate, Retriever


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(bundled_knowledge_dir(), "bristol")


@pytest.fixture(scope="module")
def retriever(kb: KnowledgeBase) -> Retriever:
    return Retriever(kb)


@pytest.fixture(scope="module")
def without(kb: KnowledgeBase) -> Retriever:
    return Retriever(kb, off_topics=OffTopics())


def test_the_bundled_subjects_load_with_unique_ids() -> None:
    topics = OffTopics.for_knowledge(bundled_knowledge_dir()).topics
    assert len(topics) >= 10
    assert len({t.id for t in topics}) == len(topics)
    assert all(len(t.questions) >= 3 for t in topics)


@pytest.mark.parametrize(
    "question",
    [
        "child benefit how to claim",
        "how do i apply for a school place for my son",
        "fined for term time holiday",
    ],
)
def test_a_council_question_that_looked_like_send_now_falls_back(
    retriever: Retriever, without: Retriever, question: str
) -> None:
    assert without.ask(question).outcome != "fallback"
    result = retriever.ask(question)
    assert result.outcome == "fallback"
    assert result.entry is None


def test_subjects_are_never_candidates(retriever: Retriever, kb: KnowledgeBase) -> None:
    for question in ("paying council tax by direct debit", "library opening hours", "ehcp late"):
        result = retriever.ask(question, limit=10)
        assert {c.entry for c in result.candidates} <= set(kb.entries)
        assert {c.entry for c in retriever.rank(question, limit=100)} <= set(kb.entries)


def test_no_phrasing_of_an_entry_is_taken_for_another_subject(
    retriever: Retriever, without: Retriever, kb: KnowledgeBase
) -> None:
    questions = [q for entry in kb.entries.values() for q in entry.questions]
    assert len(questions) > 500
    taken = [
        question
        for question in questions
        if retriever.ask(question).outcome == "fallback"
        and without.ask(question).outcome != "fallback"
    ]
    assert taken == []


def test_a_subject_as_good_as_the_top_entry_means_fallback(retriever: Retriever) -> None:
    strong = [Candidate("ehcp-delay", 0.95), Candidate("ehcp-timeline", 0.5)]
    assert retriever.decide(strong, off_topic=0.94).outcome == "answer"
    assert retriever.decide(strong, off_topic=0.95).outcome == "fallback"


def test_their_words_are_not_send_words(retriever: Retriever) -> None:
    # "tax" is in off-topic.yaml, yet still counts against a question being about SEND.
    query = retriever.analyse("pay council tax online")
    assert retriever.off_topic_words(query) == ["tax"]
    assert "tax" not in retriever.known_words()


def test_malformed_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "off-topic.yaml"
    bad = {
        "- just a list\n": "topics",
        "topics:\n  - questions: [a b]\n": "'id'",
        "topics:\n  - id: Tax Stuff\n    questions: [pay tax]\n": "'id'",
        "topics:\n  - id: tax\n    questions: []\n": "questions",
        "topics:\n  - id: tax\n    questions: ['!!!']\n": "questions",
        "topics:\n  - id: tax\n    questions: [pay tax]\n  - id: tax\n    questions: [x y]\n": (
            "twice"
        ),
        "topics: [\n": "off-topic.yaml",
    }
    for text, message in bad.items():
        path.write_text(text)
        with pytest.raises(OffTopicError, match=message):
            OffTopics.load(path)


def test_a_folder_without_the_file_uses_the_bundled_one(tmp_path: Path) -> None:
    assert OffTopics.for_knowledge(tmp_path) == OffTopics.for_knowledge(bundled_knowledge_dir())


def test_kb_check_reports_broken_matching_files(tmp_path: Path) -> None:
    (tmp_path / "national").mkdir()
    (tmp_path / "off-topic.yaml").write_text("topics:\n  - id: tax\n    questions: []\n")
    (tmp_path / "synonyms.yaml").write_text("groups:\n  - [lonely]\n")
    found = {f.where: f.message for f in check_knowledge(tmp_path, date(2026, 12, 1)).findings}
    assert "questions" in found["off-topic.yaml"]
    assert "two items" in found["synonyms.yaml"]
