"""CI's security steps: bandit finds nothing unexplained; the dependency audit's verdicts."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def audit_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit", ROOT / ".ci" / "audit_dependencies.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ci_runs_bandit_and_the_dependency_audit() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "bandit -q -c pyproject.toml -r sendbot" in script
    assert "python .ci/audit_dependencies.py" in script


def test_bandit_finds_nothing_in_sendbot() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-c", "pyproject.toml", "-r", "sendbot"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_the_audit_fails_on_a_vulnerability_and_says_when_nothing_was_audited() -> None:
    verdict = audit_script().verdict
    skipped = {"name": "x", "version": "1", "skip_reason": "Dependency not found on PyPI"}
    clean = {"name": "y", "version": "2", "vulns": []}
    bad = {"name": "z", "version": "3", "vulns": [{"id": "PYSEC-2099-1"}]}
    assert verdict([skipped, clean, bad]) == (1, ["VULNERABLE: z 3: PYSEC-2099-1"])
    status, lines = verdict([skipped, skipped])
    assert status == 0 and "NOT audited" in lines[0]
    assert verdict([skipped, clean]) == (
        0,
        ["pip-audit: 1 packages audited, none vulnerable (1 skipped)"],
    )
