"""The core and knowledge code must not know about Telegram."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sendbot"
TRANSPORT_FREE = ["core", "kb", "storage"]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_core_kb_and_storage_never_import_telegram() -> None:
    offenders = []
    files = [f for folder in TRANSPORT_FREE for f in (PACKAGE / folder).rglob("*.py")]
    assert len(files) > 10, "the transport-free packages should hold the core's code"
    for path in files:
        bad = {m for m in imported_modules(path) if m.split(".")[0] == "telegram"}
        bad |= {m for m in imported_modules(path) if m.startswith("sendbot.adapters")}
        if bad:
            offenders.append(f"{path.relative_to(PACKAGE)}: {sorted(bad)}")
    assert offenders == []


def test_the_check_catches_a_telegram_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from telegram import Update\n    return Update\n")
    assert "telegram" in imported_modules(sample)
