"""The YAML files question matching reads beside the entries (synonyms.yaml, off-topic.yaml)."""

from __future__ import annotations

from pathlib import Path

import yaml

from sendbot.config import bundled_knowledge_dir
from sendbot.kb.loader import KnowledgeError


def read_mapping_with_list(
    path: Path, key: str, error: type[KnowledgeError]
) -> tuple[dict[str, object], list[object]]:
    """A file's top-level mapping and its `key` list; `error` says what is wrong and where."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as problem:
        raise error(f"{path}: {problem}") from problem
    items = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise error(f"{path}: expected a mapping with a {key!r} list")
    return raw, items


def knowledge_file(root: Path | None, name: str) -> Path | None:
    """A knowledge folder's file of that name, else the bundled one, else None."""
    for folder in (root, bundled_knowledge_dir()):
        if folder is not None and (folder / name).is_file():
            return folder / name
    return None
