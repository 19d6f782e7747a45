"""The bot's own sentences, read from knowledge/messages.yaml by key."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import yaml


class MissingText(KeyError):
    """A message key is not in messages.yaml."""


class Texts:
    """Looks up sentences by dotted key and fills placeholders with escaped values."""

    def __init__(self, catalogue: dict[str, Any]) -> None:
        self._catalogue = catalogue

    @classmethod
    def load(cls, path: Path) -> Texts:
        """Read a messages.yaml file."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of keys to sentences")
        return cls(data)

    def raw(self, key: str) -> Any:
        """Return the value at a dotted key."""
        node: Any = self._catalogue
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise MissingText(key)
            node = node[part]
        return node

    def get(self, key: str, **values: object) -> str:
        """Return a sentence with placeholders filled by HTML-escaped values."""
        template = self.raw(key)
        if not isinstance(template, str):
            raise MissingText(key)
        if not values:
            return template
        return template.format(**{name: _escape(str(value)) for name, value in values.items()})

    def keys(self) -> list[str]:
        """Every dotted key that holds a sentence."""
        found: list[str] = []

        def walk(node: Any, prefix: str) -> None:
            if isinstance(node, dict):
                for name, child in node.items():
                    walk(child, f"{prefix}.{name}" if prefix else str(name))
            else:
                found.append(prefix)

        walk(self._catalogue, "")
        return found


def _escape(text: str) -> str:
    """Escape a value for the HTML the sentences are written in (as core.formatting.escape)."""
    return html.escape(text, quote=True)
