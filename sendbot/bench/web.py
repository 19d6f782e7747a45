"""`sendbot bench web`: the chat page's weight and the first answer's latency.

Each round is a new parent: load /chat (a new session), then time the first question's
POST to its answer; the same server's static CSS file, fetched in the same run, is the
yardstick. The server runs in this process on a scratch SQLite database.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from sendbot.config import Settings

_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
PAGE_PARTS = ("/chat", "/static/chat.css", "/static/chat.js")


def _quantiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


async def run(settings: Settings, rounds: int = 200) -> dict[str, Any]:
    """Serve the chat on a scratch database and measure it."""
    from sendbot.adapters.web.server import build_web_app
    from sendbot.app import open_app

    with tempfile.TemporaryDirectory() as scratch:
        local = settings.model_copy(
            update={
                "database_url": f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}",
                "key_file": Path(scratch) / "key",
                "web_cookie_secure": False,
                "web_rate_ip": "1000000/minute",
            }
        )
        async with open_app(local, allow_key_file=True) as app:
            questions = [entry.title for entry in app.services.kb.entries.values()]
            runner = web.AppRunner(build_web_app(app, jobs=False), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            try:
                return await _measure(f"http://127.0.0.1:{port}", questions, rounds)
            finally:
                await runner.cleanup()


async def _measure(root: str, questions: list[str], rounds: int) -> dict[str, Any]:
    """Page weight, then first answers against static files, alternating."""
    weight = 0
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        for path in PAGE_PARTS:
            async with client.get(root + path) as response:
                weight += len(await response.read())
    answers: list[float] = []
    statics: list[float] = []
    for index in range(rounds):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            async with client.get(root + "/chat") as response:
                found = _CSRF.search(await response.text())
            assert found is not None
            start = time.perf_counter()
            async with client.get(root + "/static/chat.css") as response:
                await response.read()
            statics.append(time.perf_counter() - start)
            start = time.perf_counter()
            async with client.post(
                root + "/chat/send",
                json={"text": questions[index % len(questions)]},
                headers={"X-CSRF-Token": found.group(1)},
            ) as response:
                await response.read()
                assert response.status == 200
            answers.append(time.perf_counter() - start)
    answer_p50, answer_p95 = _quantiles(answers)
    static_p50, static_p95 = _quantiles(statics)
    return {
        "scenario": "web",
        "rounds": rounds,
        "page_bytes": weight,
        "first_answer_p50_ms": round(answer_p50, 2),
        "first_answer_p95_ms": round(answer_p95, 2),
        "static_p50_ms": round(static_p50, 2),
        "static_p95_ms": round(static_p95, 2),
    }


def format_table(result: dict[str, Any]) -> str:
    """The result as a small table."""
    return "\n".join(
        [
            f"web chat, {result['rounds']} new parents (each: load /chat, ask one question)",
            f"page weight (HTML + CSS + JS): {result['page_bytes']:,} bytes",
            "                      p50 ms   p95 ms",
            f"first answer        {result['first_answer_p50_ms']:>8.2f} "
            f"{result['first_answer_p95_ms']:>8.2f}",
            f"static file (CSS)   {result['static_p50_ms']:>8.2f} {result['static_p95_ms']:>8.2f}",
        ]
    )
