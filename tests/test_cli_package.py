"""The command line is a package: the root imports its verb modules, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

CLI = Path(__file__).resolve().parent.parent / "sendbot" / "cli"


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth (`from a import b` gives a and a.b)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_verb_module_imports_the_root_group() -> None:
    modules = [p for p in CLI.glob("*.py") if p.name != "__init__.py"]
    assert len(modules) > 5
    names = {f"sendbot.cli.{p.stem}" for p in modules}
    offenders = {}
    for path in modules:
        own = f"sendbot.cli.{path.stem}"
        bad = {
            m
            for m in imports_of(path)
            if m == "sendbot.cli" or (m in names and m not in (own, "sendbot.cli.context"))
        }
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


def test_every_verb_module_is_registered_by_the_root() -> None:
    from sendbot.cli import cli

    registered = {c.callback.__module__ for c in cli.commands.values() if c.callback}
    expected = {f"sendbot.cli.{p.stem}" for p in CLI.glob("*.py")} - {
        "sendbot.cli.__init__",
        "sendbot.cli.context",
    }
    assert registered == expected
