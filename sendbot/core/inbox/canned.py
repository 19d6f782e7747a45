"""Canned replies: kept as data in the knowledge folder (canned-replies.yaml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, TypeAdapter

from sendbot.config import bundled_knowledge_dir

FILE = "canned-replies.yaml"


class CannedReply(BaseModel):
    """One reply an officer can start from."""

    id: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    title: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=1, max_length=2000)

    def for_ticket(self, reference: str) -> str:
        """The text with the ticket's reference filled in."""
        return self.text.replace("{reference}", reference)


@cache
def _load(path: Path) -> tuple[CannedReply, ...]:
    """The replies in one file (read once per process)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return tuple(TypeAdapter(list[CannedReply]).validate_python(raw))


def canned_replies(knowledge_dir: Path) -> tuple[CannedReply, ...]:
    """The council's canned replies, or the bundled ones if its folder has none."""
    path = knowledge_dir / FILE
    if not path.exists():
        path = bundled_knowledge_dir() / FILE
    return _load(path) if path.exists() else ()
