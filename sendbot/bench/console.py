"""`sendbot bench console`: the officers' inbox rendered over many tickets.

A scratch database (SQLite unless a URL is given) is filled with TICKETS tickets (a
third claimed, a fifth answered and waiting for the parent, a tenth closed), a lead and
an officer sign in over HTTP, and each round times one inbox page for each (the lead's
sees every ticket; the officer's, unclaimed and their own), an overdue filter, and the
same server's static CSS file, alternating, in the same run. Each inbox request does
what a real one does: reads and touches the session, counts and pages the tickets, and
writes its audit record.
"""

from __future__ import annotations

import random
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pyotp
from aiohttp import web
from sqlalchemy import insert

from sendbot.app import App
from sendbot.config import Settings

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PASSWORD = "bench password, not a secret"
PAGES = {
    "lead_inbox": "/officers",
    "officer_inbox": "/officers",
    "lead_overdue": "/officers?state=overdue",
    "static_css": "/static/console.css",
}


def _quantiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def _seed(app: App, count: int) -> None:
    """Tickets, some claimed, answered or closed, in bulk."""
    from sendbot.core.escalation.references import new_reference
    from sendbot.storage.models import Ticket, TicketMessage

    rng = random.Random(20)  # nosec B311: synthetic data
    keyring, now = app.services.keyring, app.services.clock()
    body = keyring.encrypt("A question the bot could not answer, for the benchmark.")
    parent = keyring.encrypt("1000")
    references: set[str] = set()
    while len(references) < count:
        references.add(new_reference("T"))
    rows, messages = [], []
    async with app.database.unit_of_work() as uow:
        officers = [o.id for o in await uow.officers.all()]
        for index, reference in enumerate(sorted(references)):
            created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 30))
            due = created + timedelta(days=7)
            claimed = index % 3 == 0
            closed = index % 10 == 0
            rows.append(
                {
                    "id": index + 1, "reference": reference, "draft_token": f"bench{index}",
                    "kind": rng.choice(("question", "complaint", "offer", "urgent")),
                    "status": "closed" if closed else ("claimed" if claimed else "open"),
                    "parent_key": f"{index:064d}", "channel": "telegram", "parent_ref": parent,
                    "body": body, "officer_id": rng.choice(officers) if claimed else None,
                    "created_at": created, "half_at": created + timedelta(days=3),
                    "due_at": due, "closed_at": now if closed else None,
                }
            )  # fmt: skip
            if index % 5 == 0:
                messages.append(
                    {"ticket_id": index + 1, "at": created + timedelta(hours=1),
                     "author": "officer", "officer_id": officers[0]}
                )  # fmt: skip
        for start in range(0, len(rows), 1000):
            await uow.session.execute(insert(Ticket), rows[start : start + 1000])
        for start in range(0, len(messages), 1000):
            await uow.session.execute(insert(TicketMessage), messages[start : start + 1000])


async def _accounts(app: App) -> dict[str, tuple[str, str]]:
    """A lead and an officer, set up: e-mail and TOTP secret of each."""
    from sendbot.core.accounts.accounts import (
        add_account,
        finish_setup,
        pending_setup,
        setup_secret,
    )

    made = {}
    for role in ("lead", "officer"):
        email = f"{role}@bench.example"
        async with app.database.unit_of_work() as uow:
            link = await add_account(
                uow, app.services.keyring, app.settings, app.services.clock(), email, role, "bench"
            )
            account = await pending_setup(uow, app.services, link.url.rsplit("/", 1)[1])
            assert account is not None
            secret = setup_secret(app.services, account)
            code = pyotp.TOTP(secret).at(app.services.clock())
            assert await finish_setup(uow, app.services, account, PASSWORD, code) is None
        made[role] = (email, secret)
    return made


async def _signed_in(root: str, email: str, secret: str, app: App) -> aiohttp.ClientSession:
    """A browser session signed in (with the next 30 seconds' code: each works once)."""
    client = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with client.get(root + "/officers/sign-in") as response:
        found = _CSRF.search(await response.text())
    assert found is not None
    code = pyotp.TOTP(secret).at(app.services.clock() + timedelta(seconds=30))
    form = {"csrf": found.group(1), "email": email, "password": PASSWORD, "code": code}
    async with client.post(root + "/officers/sign-in", data=form, allow_redirects=False) as done:
        assert done.status == 303, await done.text()
    return client


async def run(
    settings: Settings, tickets: int = 10_000, rounds: int = 200, database_url: str | None = None
) -> dict[str, Any]:
    """Serve the console on a scratch database of `tickets` tickets and measure it."""
    from sendbot.adapters.web.server import build_web_app
    from sendbot.app import open_app

    with tempfile.TemporaryDirectory() as scratch:
        local = settings.model_copy(
            update={
                "database_url": database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}",
                "key_file": Path(scratch) / "key",
                "web_cookie_secure": False,
            }
        )
        async with open_app(local, allow_key_file=True) as app:
            made = await _accounts(app)
            await _seed(app, tickets)
            runner = web.AppRunner(build_web_app(app, jobs=False), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            try:
                root = f"http://127.0.0.1:{port}"
                result = await _measure(root, app, made, rounds)
            finally:
                await runner.cleanup()
    backend = "postgresql" if (database_url or "").startswith("postgresql") else "sqlite"
    return {"scenario": "console", "tickets": tickets, "rounds": rounds, "database": backend,
            **result}  # fmt: skip


async def _measure(
    root: str, app: App, made: dict[str, tuple[str, str]], rounds: int
) -> dict[str, Any]:
    """Each page once per round, in turn; p50 and p99 of each."""
    lead = await _signed_in(root, *made["lead"], app)
    officer = await _signed_in(root, *made["officer"], app)
    clients = {"lead_inbox": lead, "officer_inbox": officer, "lead_overdue": lead,
               "static_css": lead}  # fmt: skip
    samples: dict[str, list[float]] = {name: [] for name in PAGES}
    sizes: dict[str, int] = {}
    try:
        for _ in range(rounds):
            for name, path in PAGES.items():
                start = time.perf_counter()
                async with clients[name].get(root + path, allow_redirects=False) as response:
                    body = await response.read()
                    assert response.status == 200, (name, response.status)
                samples[name].append(time.perf_counter() - start)
                sizes[name] = len(body)
    finally:
        await lead.close()
        await officer.close()
    result: dict[str, Any] = {}
    for name, taken in samples.items():
        p50, p99 = _quantiles(taken)
        result[name] = {"p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "bytes": sizes[name]}
    return result


def format_table(result: dict[str, Any]) -> str:
    """The result as a small table."""
    lines = [
        f"officers' console, {result['tickets']:,} tickets on {result['database']}, "
        f"{result['rounds']} rounds (each page once per round, in turn)",
        "                           p50 ms   p99 ms    bytes",
    ]
    for name in PAGES:
        row = result[name]
        lines.append(f"{name:<24} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['bytes']:>8,}")
    return "\n".join(lines)
