"""An entry's answer split into the parts a phone shows first and the parts it shows on request.

The text before the first heading is the opening answer; the `## What you can do next`
section is the next steps; every other `## ` section is detail, sent only when the parent
presses "More detail". Only level-2 headings may divide an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NEXT_STEPS_TITLE = "What you can do next"
NEXT_STEPS_HEADING = f"## {NEXT_STEPS_TITLE}"
FIRST_MESSAGE_WORDS = 120  # the opening and the next steps together, at most

_HEADING = re.compile(r"^(#+)[ \t]*(.*?)[ \t]*$")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LIST_MARK = re.compile(r"^\s*(?:[-*]|\d+[.)])\s+", re.MULTILINE)
_WORD = re.compile(r"\S*[A-Za-z0-9]\S*")


@dataclass(frozen=True)
class Section:
    """A `## ` section: its heading and its Markdown text."""

    title: str
    text: str

    @property
    def markdown(self) -> str:
        """The section with its heading, as written."""
        return f"## {self.title}\n{self.text}"


@dataclass(frozen=True)
class AnswerParts:
    """The opening answer, the next steps, and the detail sections in file order."""

    opening: str
    next_steps: str | None
    detail: tuple[Section, ...]

    @property
    def first(self) -> str:
        """The Markdown sent first: the opening, then the next steps under their heading."""
        if self.next_steps is None:
            return self.opening
        return f"{self.opening}\n\n{NEXT_STEPS_HEADING}\n{self.next_steps}"

    @property
    def detail_markdown(self) -> str:
        """The Markdown sent on "More detail" ('' when the entry has none)."""
        return "\n\n".join(section.markdown for section in self.detail)

    @property
    def first_words(self) -> int:
        """Words in the opening and the next steps (headings not counted)."""
        return count_words(self.opening) + count_words(self.next_steps or "")


def count_words(markdown: str) -> int:
    """Words a reader sees in Markdown-lite: link labels count, marks and list markers do not."""
    text = _LIST_MARK.sub("", _LINK.sub(r"\1", markdown))
    return len(_WORD.findall(re.sub(r"[*_`>]", "", text)))


def split_body(body: str) -> AnswerParts:
    """Split an answer at its `## ` headings; raise ValueError if it is not shaped as one."""
    opening: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in body.strip().splitlines():
        heading = _HEADING.match(line)
        if heading is None:
            (sections[-1][1] if sections else opening).append(line)
            continue
        if heading.group(1) != "##":
            raise ValueError(f"heading {line.strip()!r}: only '## ' headings may divide an answer")
        if not heading.group(2):
            raise ValueError("a '##' heading without a title")
        sections.append((heading.group(2), []))
    first = "\n".join(opening).strip()
    if not first:
        raise ValueError("the answer must come first, before any heading")
    seen: set[str] = set()
    next_steps: str | None = None
    detail: list[Section] = []
    for title, lines in sections:
        text = "\n".join(lines).strip()
        if title.lower() in seen:
            raise ValueError(f"the section '## {title}' appears twice")
        seen.add(title.lower())
        if not text:
            raise ValueError(f"the section '## {title}' is empty")
        if title.lower() == NEXT_STEPS_TITLE.lower():
            if title != NEXT_STEPS_TITLE:
                raise ValueError(f"write the next steps' heading as '{NEXT_STEPS_HEADING}'")
            next_steps = text
        else:
            detail.append(Section(title, text))
    return AnswerParts(opening=first, next_steps=next_steps, detail=tuple(detail))
