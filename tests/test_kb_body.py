"""An entry's answer split into opening, next steps and detail, and the limits on them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sendbot.config import bundled_knowledge_dir
from sendbot.kb.body import FIRST_MESSAGE_WORDS, count_words, split_body
from sendbot.kb.check import check_knowledge
from sendbot.kb.loader import KnowledgeError, load_knowledge, parse_entry
from tests.test_kb_check import TODAY, rewrite

BODY = """The answer, first.

## More detail
Why, at length.

## More you can do
- A later step.

## What you can do next
- A first step.
"""


def test_the_parts_are_found_by_their_headings() -> None:
    parts = split_body(BODY)
    assert parts.opening == "The answer, first."
    assert parts.next_steps == "- A first step."
    assert [s.title for s in parts.detail] == ["More detail", "More you can do"]
    assert parts.first == "The answer, first.\n\n## What you can do next\n- A first step."
    assert parts.detail_markdown == (
        "## More detail\nWhy, at length.\n\n## More you can do\n- A later step."
    )
    assert parts.first_words == 6


def test_an_answer_without_detail_or_next_steps_still_splits() -> None:
    parts = split_body("Only an answer.\n\nIn two paragraphs.")
    assert parts.opening == "Only an answer.\n\nIn two paragraphs."
    assert parts.next_steps is None and parts.detail == ()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("## More detail\nNo answer first.", "the answer must come first"),
        ("Answer.\n\n### Small heading\ntext", "only '## ' headings"),
        ("Answer.\n\n# Big heading\ntext", "only '## ' headings"),
        ("Answer.\n\n## More detail\n\n## What you can do next\n- step", "is empty"),
        ("Answer.\n\n## Why\none\n\n## why\ntwo", "appears twice"),
        ("Answer.\n\n## What You Can Do Next\n- step", "write the next steps' heading"),
        ("Answer.\n\n##\ntext", "without a title"),
    ],
)
def test_a_misshapen_answer_is_refused(body: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        split_body(body)


def test_the_loader_names_the_file_of_a_misshapen_answer(knowledge_dir: Path) -> None:
    path = knowledge_dir / "national" / "sendiass.md"
    rewrite(path, "## What you can do next", "### What you can do next")
    with pytest.raises(KnowledgeError, match=r"sendiass\.md: heading '### What you can do next'"):
        parse_entry(path)
    report = check_knowledge(knowledge_dir, TODAY)
    assert any("sendiass.md" in f.where or "sendiass.md" in f.message for f in report.errors)


def test_words_are_counted_as_a_reader_sees_them() -> None:
    assert count_words("- **Bold** words and [a link](https://x.org/a-b)\n1. one") == 6
    assert count_words("A, b & c — d.") == 4  # marks and dashes are not words


def test_kb_check_fails_an_answer_too_long_for_a_phone(knowledge_dir: Path) -> None:
    path = knowledge_dir / "national" / "sendiass.md"
    words = " ".join(["word"] * FIRST_MESSAGE_WORDS)
    rewrite(path, "## What you can do next\n", f"## What you can do next\n- {words}\n")
    report = check_knowledge(knowledge_dir, TODAY)
    found = [f.message for f in report.errors if f.where == "national/sendiass"]
    assert any(f"words (max {FIRST_MESSAGE_WORDS})" in m for m in found), found
    row = next(r for r in report.rows if r.id == "sendiass")
    assert row.words > FIRST_MESSAGE_WORDS and row.status == "error"


def test_the_bundled_answers_fit_a_phone() -> None:
    root = bundled_knowledge_dir()
    councils = [p.name for p in (root / "local").iterdir() if p.is_dir()]
    for council in [None, *councils]:
        for entry in load_knowledge(root, council).entries.values():
            assert entry.parts.first_words <= FIRST_MESSAGE_WORDS, entry.id
            assert entry.parts.next_steps, entry.id


def test_the_version_changes_with_what_the_parent_sees(knowledge_dir: Path) -> None:
    entry = parse_entry(knowledge_dir / "national" / "sendiass.md")
    assert len(entry.version) == 8
    assert dataclasses.replace(entry, questions=("another",)).version == entry.version
    assert dataclasses.replace(entry, body=entry.body + " More.").version != entry.version
    assert dataclasses.replace(entry, title="Another title").version != entry.version
    assert dataclasses.replace(entry, sources=entry.sources[:0]).version != entry.version
