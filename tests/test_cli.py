"""The command line lists its verbs and runs them."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from sendbot.cli import cli

VERBS = ["chat", "db"]


def test_help_lists_every_verb() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for verb in VERBS:
        assert f"  {verb} " in result.output
    assert set(cli.commands) >= set(VERBS)
    undocumented = [name for name, command in cli.commands.items() if not command.help]
    assert undocumented == []


def test_db_upgrade_and_status(env_for_cli: dict[str, str]) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sendbot", *args],
            capture_output=True,
            text=True,
            env=env_for_cli,
            timeout=120,
            check=False,
        )

    assert run("db", "status").stdout.strip() == "empty"
    upgraded = run("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert run("db", "status").stdout.strip() == "current"
