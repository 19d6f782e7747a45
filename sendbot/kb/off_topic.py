"""Topics the bot does not answer (council tax, bins, passports), read from off-topic.yaml.

Question matching ranks them beside the entries, so that a question one of them explains
better than any entry falls back instead of getting a SEND answer. They are data, kept
in the knowledge folder beside synonyms.yaml, and never shown to a parent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sendbot.kb.loader import KnowledgeError
from sendbot.kb.matching_files import knowledge_file, read_mapping_with_list
from sendbot.kb.normalise import normalise

DEFAULT_OFF_TOPICS = "off-topic.yaml"
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class OffTopicError(KnowledgeError):
    """off-topic.yaml is malformed; the message says where."""


@dataclass(frozen=True)
class OffTopic:
    """One subject outside SEND and the ways it is asked."""

    id: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class OffTopics:
    """Every subject the bot does not answer."""

    topics: tuple[OffTopic, ...] = ()

    @classmethod
    def load(cls, path: Path) -> OffTopics:
        """Read an off-topic.yaml file."""
        _, topics = read_mapping_with_list(path, "topics", OffTopicError)
        parsed: list[OffTopic] = []
        seen: set[str] = set()
        for index, topic in enumerate(topics, 1):
            parsed.append(_topic(path, index, topic, seen))
        return cls(tuple(parsed))

    @classmethod
    def for_knowledge(cls, root: Path | None) -> OffTopics:
        """The off-topic subjects of a knowledge folder, or the bundled ones when it has none."""
        path = knowledge_file(root, DEFAULT_OFF_TOPICS)
        return _cached(str(path)) if path is not None else cls()


def _topic(path: Path, index: int, topic: object, seen: set[str]) -> OffTopic:
    """One validated topic of the file."""
    where = f"{path}: topic {index}"
    if not isinstance(topic, dict):
        raise OffTopicError(f"{where}: expected a mapping with 'id' and 'questions'")
    topic_id = topic.get("id")
    if not isinstance(topic_id, str) or not _ID.match(topic_id):
        raise OffTopicError(f"{where}: 'id' must be lower-case words joined by hyphens")
    if topic_id in seen:
        raise OffTopicError(f"{where}: id {topic_id!r} is used twice")
    seen.add(topic_id)
    questions = topic.get("questions")
    if (
        not isinstance(questions, list)
        or not questions
        or not all(isinstance(q, str) and normalise(q) for q in questions)
    ):
        raise OffTopicError(f"{where} ({topic_id}): 'questions' must be a list of questions")
    return OffTopic(topic_id, tuple(questions))


@lru_cache(maxsize=8)
def _cached(path: str) -> OffTopics:
    return OffTopics.load(Path(path))
