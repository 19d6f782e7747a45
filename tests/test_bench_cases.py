"""`sendbot bench cases`, run small: it measures real imports and lookups, with baselines."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import PG_HOST, PG_PORT

UNREACHABLE = "postgresql+asyncpg://nobody@127.0.0.1:1/none"


def bench_cases(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run `sendbot bench cases ARGS` as a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "sendbot", "bench", "cases", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_bench_cases_reports_import_and_lookups_against_baselines(
    env_for_cli: dict[str, str],
) -> None:
    postgres = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/test"
    result = bench_cases(
        env_for_cli, "--json", "--import-rows", "300", "--cases", "2000", "--lookups", "60",
        "--postgres-url", postgres,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["backend"] == "sqlite"
    assert {row["backend"] for row in rows} <= {"sqlite", "postgresql"}
    for row in rows:
        imported, status = row["import"], row["status"]
        assert imported["rows"] == 300
        assert imported["reimport_unchanged"] is True, "re-importing the same file changes nothing"
        assert imported["ratio_to_csv_read"] > 1
        assert status["cases"] == 2000 and status["lookups"] == 60
        assert 0 < status["p50_ms"] <= status["p99_ms"]
        assert status["p99_ratio_to_baseline"] > 0
        assert row["rss_mb"] > 0


@pytest.mark.slow
def test_bench_cases_table_is_readable(env_for_cli: dict[str, str]) -> None:
    result = bench_cases(
        env_for_cli, "--import-rows", "50", "--cases", "200", "--lookups", "20",
        "--postgres-url", UNREACHABLE,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["backend", "import", "rows"]
    assert [line.split()[0] for line in lines[1:]] == ["sqlite"], "unreachable PostgreSQL skipped"
