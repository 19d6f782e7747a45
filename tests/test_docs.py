"""The README must not drift from the code."""

from __future__ import annotations

from pathlib import Path

import click

from sendbot.cli import cli
from sendbot.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def leaf_commands(group: click.Group, prefix: str = "sendbot") -> list[str]:
    """Every runnable command path, such as 'sendbot kb check'."""
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += leaf_commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


def test_every_setting_is_documented() -> None:
    missing = [
        f"SENDBOT_{name.upper()}"
        for name in Settings.model_fields
        if f"`SENDBOT_{name.upper()}`" not in README
    ]
    assert missing == []


def test_every_cli_verb_is_documented() -> None:
    commands = leaf_commands(cli)
    assert "sendbot chat" in commands
    assert [c for c in commands if f"`{c}" not in README] == []


def test_quick_start_has_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```sh\n")[1:]
    commands = [block.split("```", 1)[0].strip() for block in blocks]
    assert len(commands) == 2
    assert commands[0].endswith("sendbot chat")
    assert "pytest" in commands[1]
