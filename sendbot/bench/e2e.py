"""`sendbot bench e2e`: simulated parents through real bot processes, against an echo bot.

For each process count: a fresh database migrated once (`sendbot db upgrade`), N
`sendbot run --webhook-url` processes on loopback ports, a loopback fake Bot API that
receives their replies, and a load of shuffled conversations posted by webhook. First a
closed loop (a fixed number of updates in flight) gives the throughput; then a steady rate
gives the reply latency under that load. The echo bot runs on the same harness, with the
same load, right after, and the ratio of the two throughputs is the headline figure.
"""

from __future__ import annotations

import os
import random
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sendbot.bench.bots import HOOK_PATH, BotSpec, bot_environment, running_bots
from sendbot.bench.cpu import CpuMeter, per_update_ms
from sendbot.bench.fake_api import FakeBotAPI
from sendbot.bench.load import Driver, RunResult, UpdateFactory, plan_conversations
from sendbot.bench.webhook_client import WebhookClient


@dataclass(frozen=True)
class E2EOptions:
    """The shape of one benchmark run."""

    updates: int = 2_000  # closed-loop updates, real bot and echo bot each
    chats: int = 200
    concurrency: int = 32
    rate_per_s: float = 200.0  # the steady-rate phase; 0 skips it
    rate_seconds: float = 10.0
    warmup: int = 200
    backend: str = "sqlite"  # or "postgresql"
    postgres_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    knowledge_dir: Path | None = None
    council: str | None = None
    profile_dir: Path | None = None  # run the real bot under cProfile, one file a process
    # The echo bot's Bot API client: "httpx" (PTB's default) or "aiohttp" (sendbot's own).
    echo_client: str = "httpx"


@dataclass(frozen=True)
class Phase:
    """One load: closed loop for throughput, optionally a steady rate for latency."""

    closed: RunResult
    steady: RunResult | None
    peak_rss_mb: float
    cpu_ms_per_update: dict[str, float]  # in the closed loop: bots, harness, database


async def _run_phase(
    api: FakeBotAPI, spec: BotSpec, processes: int, options: E2EOptions, seed: int
) -> Phase:
    """Start the bots, warm them up, measure, stop them."""
    secret = spec.env["SENDBOT_WEBHOOK_SECRET"]
    rng = random.Random(seed)
    factory = UpdateFactory(first_update_id=1)
    per_chat = max(1, options.updates // options.chats)
    async with running_bots(spec, processes) as bots:
        clients = [WebhookClient(port, HOOK_PATH, secret) for port in bots.ports]
        driver = Driver(recorder=api.recorder, clients=clients)
        try:
            warm_chats = range(1, max(1, options.warmup) + 1)
            await driver.closed_loop(
                plan_conversations(factory, list(warm_chats), 1, rng=rng), options.concurrency
            )
            chats = [100_000 + n for n in range(options.chats)]
            plan = plan_conversations(factory, chats, per_chat, rng=rng)
            meter = CpuMeter(bots.pids, count_database=options.backend == "postgresql")
            before = meter.snapshot()
            closed = await driver.closed_loop(plan, options.concurrency)
            cpu = per_update_ms(before, meter.snapshot(), len(closed.outcomes))
            steady = None
            if options.rate_per_s > 0 and options.rate_seconds > 0:
                total = int(options.rate_per_s * options.rate_seconds)
                # Chats in turn, each update a quarter of the run after the chat's previous
                # one, so no update waits for its chat's previous answer.
                steady_chats = [1_000_000 + n for n in range(max(1, total // 4))]
                steady_plan = plan_conversations(factory, steady_chats, 4, shuffle=False)
                steady = await driver.fixed_rate(steady_plan, options.rate_per_s)
            bots.check_alive()
            return Phase(closed, steady, bots.peak_rss_mb(), cpu)
        finally:
            await driver.close()


def _extra_env(options: E2EOptions) -> dict[str, str]:
    extra: dict[str, str] = {"SENDBOT_SECRET_KEY": secrets.token_urlsafe(32)}
    if options.knowledge_dir is not None:
        extra["SENDBOT_KNOWLEDGE_DIR"] = str(options.knowledge_dir)
    if options.council:
        extra["SENDBOT_COUNCIL"] = options.council
    return extra


async def run_e2e(processes: int, options: E2EOptions) -> dict[str, Any]:
    """One row of the benchmark: the real bot and the echo bot with N processes each."""
    from sendbot.bench.cases import scratch_database

    load_before = os.getloadavg()[0]  # other work on the machine skews every figure
    secret = secrets.token_urlsafe(24)
    extra = _extra_env(options)
    async with scratch_database(options.backend, options.postgres_url) as database:
        url = database.url  # the bot processes open their own connections
        await database.dispose()
        with tempfile.TemporaryDirectory() as home:
            folder = Path(home)
            async with FakeBotAPI() as api:
                env = bot_environment(dict(os.environ), api.url, url, secret, **extra)
                real = BotSpec(False, env, folder, options.profile_dir)
                sendbot = await _run_phase(api, real, processes, options, seed=processes)
                calls = dict(api.recorder.counts)
            async with FakeBotAPI() as api:
                env = bot_environment(dict(os.environ), api.url, url, secret, **extra)
                echo_spec = BotSpec(True, env, folder, echo_client=options.echo_client)
                echo = await _run_phase(api, echo_spec, processes, options, seed=processes)
    return _row(processes, options, sendbot, echo, calls, load_before)


def _row(
    processes: int,
    options: E2EOptions,
    real: Phase,
    echo: Phase,
    calls: dict[str, int],
    load_before: float,
) -> dict[str, Any]:
    """The JSON row: the headline keys first, then the details."""
    closed = real.closed.summary()
    steady = real.steady.summary() if real.steady is not None else None
    echo_rate = echo.closed.updates_per_s
    latency = steady or closed
    echo_latency = echo.steady.summary() if echo.steady is not None else echo.closed.summary()
    return {
        "scenario": "e2e",
        "updates_per_s": closed["updates_per_s"],
        "echo_updates_per_s": round(echo_rate, 1),
        "ratio": round(real.closed.updates_per_s / echo_rate, 3) if echo_rate else 0.0,
        "p50_ms": latency["p50_ms"],
        "p99_ms": latency["p99_ms"],
        "rss_mb": round(real.peak_rss_mb, 1),
        "processes": processes,
        "backend": options.backend,
        "rate_per_s": options.rate_per_s if steady else None,
        "steady_updates_per_s": steady["updates_per_s"] if steady else None,
        "overloaded": bool(steady and steady["overloaded"]),
        "saturated_p50_ms": closed["p50_ms"],
        "saturated_p99_ms": closed["p99_ms"],
        "echo_rss_mb": round(echo.peak_rss_mb, 1),
        "echo_client": options.echo_client,
        "echo_p50_ms": echo_latency["p50_ms"],
        "echo_p99_ms": echo_latency["p99_ms"],
        "concurrency": options.concurrency,
        "updates": len(real.closed.outcomes),
        "failures": closed["failures"] + (steady["failures"] if steady else 0),
        "echo_failures": echo.closed.summary()["failures"],
        "cpu_ms_per_update": real.cpu_ms_per_update,
        "echo_cpu_ms_per_update": echo.cpu_ms_per_update,
        "load_average_before": round(load_before, 2),
        "bot_api_calls_per_update": round(sum(calls.values()) / max(1, _all_updates(real)), 2),
        "bot_api_calls": dict(sorted(calls.items())),
    }


def _all_updates(phase: Phase) -> int:
    steady = len(phase.steady.outcomes) if phase.steady is not None else 0
    return len(phase.closed.outcomes) + steady


def format_table(rows: list[dict[str, Any]]) -> str:
    """A readable table, one line per process count."""
    head = (
        f"{'procs':>5} {'backend':<10} {'updates/s':>9} {'echo/s':>8} {'ratio':>6} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'echo p99':>8} {'at /s':>6} {'sat p99':>8} {'RSS MB':>7} "
        f"{'fail':>5} "
        f"{'CPU ms/update: bots db harness':>31}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        rate = f"{r['rate_per_s']:.0f}" if r["rate_per_s"] else "-"
        if r["overloaded"]:
            rate += "!"
        cpu = r["cpu_ms_per_update"]
        lines.append(
            f"{r['processes']:>5} {r['backend']:<10} {r['updates_per_s']:>9.1f} "
            f"{r['echo_updates_per_s']:>8.1f} {r['ratio']:>6.2f} {r['p50_ms']:>7.1f} "
            f"{r['p99_ms']:>7.1f} {r['echo_p99_ms']:>8.1f} {rate:>6} {r['saturated_p99_ms']:>8.1f} "
            f"{r['rss_mb']:>7.1f} {r['failures']:>5} "
            f"{cpu['bots']:>19.2f} {cpu['database']:>5.2f} {cpu['harness']:>7.2f}"
        )
    lines.append(
        "updates/s: closed loop with the given concurrency; p50/p99: reply latency (POST to "
        "the update's last reply) at the steady rate ('!': more than the bots could take, stopped "
        "early); echo p99: the echo bot's at the same rate; sat p99: at saturation; CPU: in the "
        "closed loop, per update"
    )
    return "\n".join(lines)
