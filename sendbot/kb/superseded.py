"""The list of superseded guidance (knowledge/superseded.yaml) and matching sources against it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sendbot.kb.loader import KnowledgeError, Source, validation_problems

DEFAULT_SUPERSEDED = "superseded.yaml"


def normalise_url(url: str) -> str:
    """A URL without scheme, www., query, fragment or trailing slash, lower-cased."""
    bare = re.sub(r"^https?://(www\.)?", "", url.strip().lower())
    return re.split(r"[?#]", bare, maxsplit=1)[0].rstrip("/")


class Replacement(BaseModel):
    """The guidance now in force instead."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(min_length=3)
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _https(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith("https://"):
            raise ValueError("urls must start with https://")
        return url


class Superseded(BaseModel):
    """One piece of guidance no longer in force, and how to recognise a source citing it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(min_length=3)
    urls: list[str] = Field(default_factory=list)
    title_patterns: list[str] = Field(default_factory=list)
    replaced_by: Replacement
    source: Source

    @field_validator("urls")
    @classmethod
    def _urls_https(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith("https://"):
                raise ValueError(f"url {url!r} must start with https://")
        return urls

    @field_validator("title_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                message = f"title pattern {pattern!r} is not a regular expression: {error}"
                raise ValueError(message) from error
        return patterns

    @model_validator(mode="after")
    def _has_matcher(self) -> Superseded:
        if not self.urls and not self.title_patterns:
            raise ValueError("needs at least one of urls or title_patterns")
        return self

    def cited_by(self, source: Source) -> bool:
        """Whether a source's URL or title points at this guidance."""
        if source.url:
            cited = normalise_url(source.url)
            for url in self.urls:
                known = normalise_url(url)
                if cited == known or cited.startswith(known + "/"):
                    return True
        return any(re.search(p, source.title, re.IGNORECASE) for p in self.title_patterns)


class SupersededFile(BaseModel):
    """The whole file: a list under the key `superseded`."""

    model_config = ConfigDict(extra="forbid")
    superseded: list[Superseded] = Field(min_length=1)


class SupersededList:
    """Guidance marked superseded, loaded from YAML."""

    def __init__(self, items: list[Superseded]) -> None:
        self.items = items

    @classmethod
    def load(cls, path: Path) -> SupersededList:
        """Read and validate the file; raise KnowledgeError naming the file on any problem."""
        try:
            raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise KnowledgeError(f"{path}: cannot read: {error}") from error
        except yaml.YAMLError as error:
            raise KnowledgeError(f"{path}: not valid YAML: {error}") from error
        try:
            parsed = SupersededFile.model_validate(raw)
        except ValidationError as error:
            raise KnowledgeError(f"{path}: {validation_problems(error, 'file')}") from error
        return cls(parsed.superseded)

    def cited_by(self, source: Source) -> Superseded | None:
        """The superseded guidance a source cites, if any."""
        return next((item for item in self.items if item.cited_by(source)), None)
