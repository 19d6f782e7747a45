"""`sendbot bench e2e`: the harness works end to end (figures are measured, never asserted)."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from sendbot.bench.e2e import E2EOptions, format_table, run_e2e
from sendbot.bench.load import UpdateFactory, percentile, plan_conversations

HEADLINE_KEYS = {
    "scenario", "updates_per_s", "echo_updates_per_s", "ratio", "p50_ms", "p99_ms", "rss_mb",
}  # fmt: skip


def test_a_plan_keeps_each_chat_in_order_but_interleaves_chats() -> None:
    plan = plan_conversations(
        UpdateFactory(), list(range(1, 21)), 5, duplicates=0.2, rng=random.Random(3)
    )
    steps: dict[int, list[int]] = defaultdict(list)
    for delivery in plan:
        steps[delivery.chat_id].append(delivery.step)
    assert all(s == [0, 1, 2, 3, 4] for s in steps.values()) and len(steps) == 20
    assert [d.chat_id for d in plan[:20]] != sorted(d.chat_id for d in plan[:20])
    assert len({d.update_id for d in plan}) == len(plan) == 100
    copies = {d.copy for d in plan}
    assert {"", "concurrent", "later"} <= copies
    first = plan[0].update["message"]
    assert first["chat"]["type"] == "private" and first["text"] == "/start"
    assert first["entities"][0]["type"] == "bot_command"


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.99) == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("echo_client", ["httpx", "aiohttp"])
async def test_a_small_run_answers_every_update_through_both_bots(
    knowledge_dir: Path, echo_client: str
) -> None:
    options = E2EOptions(
        updates=60, chats=12, concurrency=4, rate_per_s=20, rate_seconds=1, warmup=4,
        knowledge_dir=knowledge_dir, council="testshire", echo_client=echo_client,
    )  # fmt: skip
    row = await run_e2e(1, options)
    assert row.keys() >= HEADLINE_KEYS and row["scenario"] == "e2e"
    assert row["failures"] == 0 and row["echo_failures"] == 0, row
    assert row["updates"] == 60
    assert row["updates_per_s"] > 0 and row["echo_updates_per_s"] > 0 and row["ratio"] > 0
    assert 0 < row["p50_ms"] <= row["p99_ms"]
    assert row["rss_mb"] > 10, "peak RSS of the bot process was read"
    assert row["bot_api_calls_per_update"] >= 1, "at least one reply an update"
    assert "updates/s" in format_table([row])
    assert row["echo_client"] == echo_client and 0 < row["echo_p50_ms"] <= row["echo_p99_ms"]


def test_bench_without_a_scenario_lists_them() -> None:
    listing = subprocess.run(
        [sys.executable, "-m", "sendbot", "bench"], capture_output=True, text=True, timeout=60
    )
    assert listing.returncode == 0
    for scenario in ("retrieval", "e2e", "cases"):
        assert f"  {scenario} " in listing.stdout
