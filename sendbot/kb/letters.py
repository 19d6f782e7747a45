"""Letter templates in knowledge/letters/: one letter for each time limit a council can miss.

Each file is YAML: which time limit it answers, the law it cites, its sources, the date it
was last reviewed, and Jinja2 templates for the letter and for what the parent can do next.
Templates may use only the placeholders in PLACEHOLDERS; `kb check` refuses any other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sendbot.kb.loader import (
    ID_PATTERN,
    KnowledgeError,
    Source,
    parse_interval,
    validation_problems,
)

LETTERS_DIR = "letters"
# The time limits a letter can answer (Deadline.key in core/cases/deadlines.py).
DEADLINE_KEYS = (
    "decision",
    "final",
    "review",
    "amendment",
    "transfer_school",
    "transfer_post16",
    "transfer_post16_move",
)
# Every value a template may use, filled from the case and the local pack.
PLACEHOLDERS: dict[str, str] = {
    "council_name": "the council's name, from the local pack",
    "team_name": "the SEN team's name, from the local pack",
    "team_email": "the SEN team's published e-mail address (may be empty)",
    "team_address": "the SEN team's published postal address (may be empty)",
    "child_name": "the child's first name, from the council's record",
    "reference": "the council's case reference",
    "today": "the letter's date, as '3 December 2026'",
    "reply_by": "the date a reply is asked for (REPLY_DAYS after today)",
    "reply_days": "the number of days given for a reply",
    "request_date": "the date the council received the request for an assessment",
    "due_date": "the last day the step was still on time",
    "late_by": "how late the step is, as '5 weeks and 2 days'",
    "start_date": "the date the time limit counts from (plan issued, last review)",
    "transfer_date": "the date of the next move between phases of education",
    "transfer_kind": "which regulation 18 rule the move follows: school, post16, post16_move",
    "exception": "the reg 10(4) exception letter the council recorded, or empty",
    "exception_reason": "what that exception means, in words, or empty",
}
TEMPLATE_FIELDS = ("subject", "body", "next_steps")


def environment() -> SandboxedEnvironment:
    """The one Jinja2 environment for letters: sandboxed, plain text, strict about names."""
    return SandboxedEnvironment(
        autoescape=False,  # plain text, never HTML; values are data, never template source
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class LetterFile(BaseModel):
    """The fields of one letter file."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    deadlines: list[str] = Field(min_length=1)
    title: str = Field(min_length=3, max_length=60)
    law: str = Field(min_length=10)
    sources: list[Source] = Field(min_length=1)
    reviewed: dt.date
    review_every: str | None = None
    subject: str = Field(min_length=3)
    body: str = Field(min_length=50)
    next_steps: str = Field(min_length=20)

    @field_validator("deadlines")
    @classmethod
    def _known_deadlines(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in DEADLINE_KEYS]
        if unknown:
            raise ValueError(f"unknown deadline(s) {unknown}; known: {', '.join(DEADLINE_KEYS)}")
        return value

    @field_validator("review_every")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        if value is not None:
            parse_interval(value)
        return value


@dataclass(frozen=True)
class LetterTemplate:
    """A checked letter template, ready to fill."""

    id: str
    deadlines: tuple[str, ...]
    title: str
    law: str
    sources: tuple[Source, ...]
    reviewed: dt.date
    review_months: int
    subject: str
    body: str
    next_steps: str
    path: Path

    def render(self, values: dict[str, Any]) -> tuple[str, str, str]:
        """The subject, letter body and next steps filled with `values`."""
        env = environment()
        return tuple(  # type: ignore[return-value]
            env.from_string(getattr(self, name)).render(values).strip() for name in TEMPLATE_FIELDS
        )


def placeholder_problems(letter: LetterFile) -> list[str]:
    """Template errors and placeholders that are not in PLACEHOLDERS."""
    env = environment()
    problems = []
    for name in TEMPLATE_FIELDS:
        source = getattr(letter, name)
        try:
            used = meta.find_undeclared_variables(env.parse(source))
        except TemplateSyntaxError as error:
            problems.append(f"{name}: template error on line {error.lineno}: {error.message}")
            continue
        unknown = sorted(used - set(PLACEHOLDERS))
        if unknown:
            problems.append(f"{name}: unknown placeholder(s): {', '.join(unknown)}")
    return problems


def parse_letter(path: Path) -> LetterTemplate:
    """Read and check one letter file; raise KnowledgeError naming the file on any problem."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        letter = LetterFile.model_validate(raw)
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeError(f"{path}: cannot read: {error}") from error
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path}: not valid YAML: {error}") from error
    except ValidationError as error:
        raise KnowledgeError(f"{path}: {validation_problems(error)}") from error
    problems = placeholder_problems(letter)
    if path.stem != letter.id:
        problems.append(f"file name {path.name} does not match id {letter.id!r}")
    if problems:
        raise KnowledgeError(f"{path}: " + "; ".join(problems))
    return LetterTemplate(
        id=letter.id,
        deadlines=tuple(letter.deadlines),
        title=letter.title,
        law=letter.law,
        sources=tuple(letter.sources),
        reviewed=letter.reviewed,
        review_months=parse_interval(letter.review_every) if letter.review_every else 12,
        subject=letter.subject,
        body=letter.body,
        next_steps=letter.next_steps,
        path=path,
    )


def letter_files(folder: Path) -> list[Path]:
    """The letter files in a folder, sorted."""
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def load_letters(root: Path) -> dict[str, LetterTemplate]:
    """Every letter under root/letters, by the time limit it answers (one letter each)."""
    by_deadline: dict[str, LetterTemplate] = {}
    for path in letter_files(root / LETTERS_DIR):
        letter = parse_letter(path)
        for key in letter.deadlines:
            other = by_deadline.get(key)
            if other is not None:
                raise KnowledgeError(f"{path}: deadline {key!r} already has {other.id!r}")
            by_deadline[key] = letter
    return by_deadline
