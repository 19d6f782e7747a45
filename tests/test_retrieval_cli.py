"""`sendbot ask`, `sendbot eval`, `sendbot bench retrieval` and `sendbot kb gaps`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sendbot.kb.evaluate import EvalItem, in_tuning_half, load_eval, split

REPORT_KEYS = {"n", "top1", "top3", "mrr", "oos_rejection", "false_fallback", "p50_ms", "p99_ms"}


def sendbot(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sendbot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_ask_json(env_for_cli: dict[str, str]) -> None:
    result = sendbot(env_for_cli, "ask", "--json", "how long does an EHCP take?")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"outcome", "entry", "sure", "score", "candidates"}
    assert data["outcome"] == "answer"
    assert data["entry"] == "ehcp-timeline"
    assert isinstance(data["score"], float)
    assert data["candidates"][0] == {"entry": "ehcp-timeline", "score": data["score"]}


def test_ask_json_streams_one_line_per_question_in_order(env_for_cli: dict[str, str]) -> None:
    questions = [
        "how long does an EHCP take?",
        "tell me a joke",
        "what is sendiass",
        "",
        "where is the local offer",
    ]
    result = sendbot(env_for_cli, "ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(questions)
    answers = [json.loads(line) for line in lines]
    assert [a["entry"] for a in answers] == [
        "ehcp-timeline",
        None,
        "sendiass",
        None,
        "local-offer",
    ]
    assert answers[1]["outcome"] == "fallback"
    assert answers[3] == {
        "outcome": "fallback",
        "entry": None,
        "sure": True,
        "score": 0.0,
        "candidates": [],
    }


def test_ask_prints_a_readable_answer(env_for_cli: dict[str, str]) -> None:
    result = sendbot(env_for_cli, "ask", "how long does an EHCP take?")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("How long an EHC plan should take")
    assert "The final plan is due within 20 weeks" in result.stdout
    fallback = sendbot(env_for_cli, "ask", "tell me a joke")
    assert "SENDIASS" in fallback.stdout and "<" not in fallback.stdout


def write_eval(path: Path) -> Path:
    rows = [
        {"q": "how long does an ehcp take", "expect": ["ehcp-timeline"]},
        {"q": "when is the final plan due", "expect": ["ehcp-timeline"]},
        {"q": "free advice about send", "expect": ["sendiass"]},
        {"q": "where do i find the local offer", "expect": ["local-offer"]},
        {"q": "how do i renew my passport", "expect": []},
        {"q": "tell me a joke", "expect": []},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_eval_json(env_for_cli: dict[str, str], tmp_path: Path) -> None:
    result = sendbot(env_for_cli, "eval", str(write_eval(tmp_path / "e.jsonl")), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= REPORT_KEYS
    assert data["n"] == 6
    assert data["top1"] == 1.0
    assert data["oos_rejection"] == 1.0
    assert data["false_fallback"] == 0.0
    assert "baselines" not in data


def test_eval_with_baselines(env_for_cli: dict[str, str], tmp_path: Path) -> None:
    path = write_eval(tmp_path / "e.jsonl")
    result = sendbot(env_for_cli, "eval", str(path), "--json", "--baselines")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    methods = [b["method"] for b in data["baselines"]]
    assert methods[:2] == ["rapidfuzz", "bm25s"]
    for baseline in data["baselines"]:
        assert set(baseline) >= REPORT_KEYS
    if "minilm" not in methods:
        assert any("embedding baseline skipped" in n for n in data["notes"])
    table = sendbot(env_for_cli, "eval", str(path), "--baselines", "--split", "held-out")
    assert table.returncode == 0, table.stderr
    assert "rapidfuzz" in table.stdout and "sendbot" in table.stdout


def test_eval_rejects_a_malformed_file(env_for_cli: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"q": "fine", "expect": []}\nnot json\n')
    result = sendbot(env_for_cli, "eval", str(path))
    assert result.returncode == 2
    assert "bad.jsonl:2" in result.stderr


def test_split_is_deterministic_and_halves(tmp_path: Path) -> None:
    items = [EvalItem(f"question number {i}", ("x",)) for i in range(400)]
    tune, held = split(items, "tune"), split(items, "held-out")
    assert len(tune) + len(held) == 400
    assert 150 < len(tune) < 250
    assert not {i.q for i in tune} & {i.q for i in held}
    assert in_tuning_half("question number 1") == in_tuning_half("question number 1 ")
    path = write_eval(tmp_path / "e.jsonl")
    assert next(i.q for i in load_eval(path)) == "how long does an ehcp take"


def test_bench_retrieval_json(env_for_cli: dict[str, str]) -> None:
    result = sendbot(
        env_for_cli, "bench", "retrieval", "--json", "--sizes", "200", "--questions", "30"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["kb"] for r in data["results"]] == ["real", "synthetic-200"]
    for row in data["results"]:
        timings = {"qps", "p50_ms", "p99_ms", "cpu_p50_ms", "cpu_p99_ms"}
        assert set(row["engine"]) == timings
        assert set(row["lexical"]) == timings
        assert set(row["rapidfuzz"]) == timings
        assert row["engine"]["p50_ms"] <= row["engine"]["p99_ms"]
        classifier = row["classifier"]
        assert classifier["cache_hit"] is True and classifier["kind"] == "logistic"
        assert classifier["fit_s"] > 0 and classifier["cache_hit_s"] > 0
        assert row["speedup_vs_rapidfuzz"] > 0
        assert row["index_mb"] >= 0
    real, synthetic = data["results"]
    assert 0 < real["peak_rss_mb"] <= synthetic["peak_rss_mb"]
    assert synthetic["entries"] == 200


def test_kb_gaps_lists_redacted_questions(env_for_cli: dict[str, str]) -> None:
    chat = sendbot(
        env_for_cli,
        "chat",
        stdin="my son Oliver wants to know about council tax\nwhen are bins collected\n"
        "when are bins collected\n",
    )
    assert chat.returncode == 0, chat.stderr
    result = sendbot(env_for_cli, "kb", "gaps", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["question"] == "when are bins collected"
    assert rows[0]["count"] == 2
    assert "Oliver" not in result.stdout
    assert any("[name]" in r["question"] for r in rows)
    text = sendbot(env_for_cli, "kb", "gaps")
    assert "when are bins collected" in text.stdout


@pytest.mark.parametrize("verb", [["ask", "--help"], ["eval", "--help"], ["kb", "gaps", "--help"]])
def test_help(env_for_cli: dict[str, str], verb: list[str]) -> None:
    assert sendbot(env_for_cli, *verb).returncode == 0
