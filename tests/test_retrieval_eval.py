"""Regression guard: the engine meets its targets on the real evaluation set.

Runs `sendbot eval tests/data/eval.jsonl --json` on the bundled knowledge for Bristol.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EVAL_FILE = Path(__file__).resolve().parent / "data" / "eval.jsonl"


def test_real_evaluation_meets_targets(tmp_path: Path) -> None:
    assert EVAL_FILE.exists(), "tests/data/eval.jsonl is the evaluation set; it must exist"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDBOT_")}
    env.update(SENDBOT_COUNCIL="bristol", SENDBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/x")
    result = subprocess.run(
        [sys.executable, "-m", "sendbot", "eval", str(EVAL_FILE), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] >= 250
    assert report["top1"] >= 0.92, report
    assert report["top3"] >= 0.98, report
    assert report["oos_rejection"] >= 0.90, report
    assert report["false_fallback"] <= 0.05, report
