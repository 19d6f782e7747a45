"""Read knowledge/ files into validated entries, with a council's local pack on top."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sendbot.kb.body import AnswerParts, split_body

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
ID_MAX = 48  # an id, with a prefix and a version, must fit in a button's 64 bytes
INTERVAL = re.compile(r"^\s*([1-9][0-9]*)\s+(month|months|year|years)\s*$")
DEFAULT_REVIEW_MONTHS = 12


def parse_interval(text: str) -> int:
    """Months in a review interval such as "1 month", "6 months" or "2 years"."""
    match = INTERVAL.match(text)
    if not match:
        raise ValueError(f"review_every {text!r} must look like '6 months' or '1 year'")
    count = int(match.group(1))
    return count * 12 if match.group(2).startswith("year") else count


class KnowledgeError(ValueError):
    """A knowledge file could not be read; the message names the file and the problem."""


def validation_problems(error: ValidationError, whole: str = "") -> str:
    """A pydantic error as 'field.path: message; ...', `whole` naming a problem of it all."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or whole}: {e['msg']}" for e in error.errors()
    )


class Source(BaseModel):
    """Where a fact comes from: a public page, a legal reference, or both."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # hashable, as entries are
    title: str = Field(min_length=3)
    url: str | None = None
    ref: str | None = None

    @model_validator(mode="after")
    def _has_locator(self) -> Source:
        if not self.url and not self.ref:
            raise ValueError("a source needs a url or a ref")
        if self.url and not self.url.startswith("https://"):
            raise ValueError("source urls must start with https://")
        return self


class FrontMatter(BaseModel):
    """The YAML header of an entry."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN, max_length=ID_MAX)
    title: str = Field(min_length=3)
    questions: list[str] = Field(min_length=6)
    related: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    reviewed: dt.date
    tags: list[str] = Field(default_factory=list)
    review_every: str | None = None  # e.g. "1 month"; kb check validates it

    @field_validator("review_every")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        if value is not None:
            parse_interval(value)
        return value


@dataclass(frozen=True)
class Entry:
    """One answer of the knowledge base."""

    id: str
    title: str
    questions: tuple[str, ...]
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    reviewed: dt.date
    tags: tuple[str, ...]
    body: str
    path: Path
    scope: str = "national"
    review_months: int = DEFAULT_REVIEW_MONTHS

    @cached_property
    def parts(self) -> AnswerParts:
        """The answer split into opening, next steps and detail (see kb/body.py)."""
        return split_body(self.body)

    @property
    def opening(self) -> str:
        """The answer-first opening: the text before the first heading."""
        return self.parts.opening

    @cached_property
    def version(self) -> str:
        """A short fingerprint of what the parent is shown, so old buttons can tell it changed."""
        shown = [self.title, self.body, *(f"{s.title}|{s.url}|{s.ref}" for s in self.sources)]
        return hashlib.sha256("\x1f".join(shown).encode()).hexdigest()[:8]


class Contact(BaseModel):
    """A published local contact with its source."""

    model_config = ConfigDict(extra="ignore")
    name: str
    url: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None  # a postal address, only where the source publishes one
    notes: str | None = None
    source: Source | None = None


class ComplaintStage(BaseModel):
    """One stage of a council's complaints procedure."""

    model_config = ConfigDict(extra="ignore")
    stage: int
    name: str
    working_days: int
    max_working_days: int | None = None
    description: str | None = None


class Complaints(BaseModel):
    """A council's complaints procedures with their working-day limits."""

    model_config = ConfigDict(extra="ignore")
    source: Source | None = None
    corporate: list[ComplaintStage] = Field(default_factory=list)
    childrens_social_care: list[ComplaintStage] = Field(default_factory=list)


class OfficialFigure(BaseModel):
    """A published figure about the council, exactly as its source gives it, with the date."""

    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1)  # as published: "17% (118 of 684)"
    measure: str = Field(min_length=10)  # what it counts, in words
    period: str = Field(min_length=4)  # the period it covers
    published: str = Field(min_length=4)  # when and by whom it was published
    source: Source


class CouncilPack(BaseModel):
    """A council's facts from knowledge/local/<council>/council.yaml."""

    model_config = ConfigDict(extra="ignore")
    council: str
    name: str
    fictional: bool = False
    reviewed: dt.date | None = None
    contacts: dict[str, Contact | None] = Field(default_factory=dict)
    complaints: Complaints = Field(default_factory=Complaints)
    safeguarding_message: str | None = None
    # The latest official figure for plans issued within 20 weeks, shown beside the bot's own.
    timeliness: OfficialFigure | None = None


@dataclass
class TopicSection:
    """A group of entries shown together when browsing."""

    key: str
    title: str
    ids: list[str] = field(default_factory=list)


@dataclass
class KnowledgeBase:
    """Every entry in force for one council, with the council's facts."""

    entries: dict[str, Entry]
    council: CouncilPack | None
    sections: list[TopicSection]
    overridden: dict[str, Entry] = field(default_factory=dict)
    root: Path | None = None

    def get(self, entry_id: str) -> Entry | None:
        """Return an entry by id."""
        return self.entries.get(entry_id)

    @property
    def council_name(self) -> str:
        """The served council's name, or a neutral phrase."""
        return self.council.name if self.council else "your council"


FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)


def parse_entry(path: Path, scope: str = "national") -> Entry:
    """Parse one entry file; raise KnowledgeError naming the file on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeError(f"{path}: cannot read: {error}") from error
    match = FRONT_MATTER.match(text)
    if not match:
        raise KnowledgeError(f"{path}: no YAML front matter between --- lines")
    try:
        raw: Any = yaml.safe_load(match.group(1))
        meta = FrontMatter.model_validate(raw)
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path}: front matter is not valid YAML: {error}") from error
    except ValidationError as error:
        raise KnowledgeError(f"{path}: {validation_problems(error)}") from error
    body = match.group(2).strip()
    if not body:
        raise KnowledgeError(f"{path}: the answer is empty")
    entry = Entry(
        id=meta.id,
        title=meta.title,
        questions=tuple(q.strip() for q in meta.questions),
        related=tuple(meta.related),
        sources=tuple(meta.sources),
        reviewed=meta.reviewed,
        tags=tuple(meta.tags),
        body=body,
        path=path,
        scope=scope,
        review_months=(
            parse_interval(meta.review_every) if meta.review_every else DEFAULT_REVIEW_MONTHS
        ),
    )
    try:
        entry.parts  # noqa: B018 - splitting the answer validates its shape
    except ValueError as error:
        raise KnowledgeError(f"{path}: {error}") from error
    return entry


def load_council(folder: Path) -> CouncilPack:
    """Read a council.yaml."""
    path = folder / "council.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return CouncilPack.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise KnowledgeError(f"{path}: {error}") from error


def load_sections(root: Path) -> list[TopicSection]:
    """Read topics.yaml, the browsing sections."""
    path = root / "topics.yaml"
    if not path.exists():
        return []
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [TopicSection(key=s["key"], title=s["title"], ids=list(s["ids"])) for s in raw]


def entry_files(folder: Path) -> list[Path]:
    """The entry files in a folder, sorted."""
    return sorted(p for p in folder.glob("*.md") if p.name.lower() != "readme.md")


def load_knowledge(root: Path, council: str | None = None) -> KnowledgeBase:
    """Load national entries, then the council's pack replacing or adding entries."""
    entries: dict[str, Entry] = {}
    for path in entry_files(root / "national"):
        entry = parse_entry(path)
        if entry.id in entries:
            raise KnowledgeError(f"{path}: duplicate id {entry.id!r}")
        entries[entry.id] = entry
    pack = None
    overridden: dict[str, Entry] = {}
    if council:
        folder = root / "local" / council
        if not folder.is_dir():
            raise KnowledgeError(f"no local pack for council {council!r} in {folder}")
        pack = load_council(folder)
        for path in entry_files(folder):
            entry = parse_entry(path, scope=council)
            if entry.id in entries:
                overridden[entry.id] = entries[entry.id]
            entries[entry.id] = entry
    sections = load_sections(root)
    listed = {i for s in sections for i in s.ids}
    extra = [i for i in entries if i not in listed]
    if extra:
        sections.append(TopicSection(key="local", title="Local topics", ids=sorted(extra)))
    return KnowledgeBase(
        entries=entries, council=pack, sections=sections, overridden=overridden, root=root
    )
