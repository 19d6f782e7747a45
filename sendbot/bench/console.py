"""`sendbot bench console`: the officers' inbox rendered over many tickets.

A scratch database (SQLite unless a URL is given) is filled with TICKETS tickets (a
third claimed, a fifth answered and waiting for the parent, a tenth closed; each text a
dozen words from a small vocabulary, with its search hashes), a lead and an officer sign
in over HTTP, and each round times the first page of every filter (the lead sees every
ticket; the officer, unclaimed and their own), a search by a word, by two words and by a
reference, and the same server's static CSS file, in turn, in the same run. Each inbox
request does what a real one does: reads and touches the session, counts and pages the
tickets, and writes its audit record.
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
_COUNT = re.compile(r'class="count">(\d+) ticket')
PASSWORD = "bench password, not a secret"
# Each page: who loads it, and its path ({reference}: an unclaimed ticket's).
PAGES = {
    "lead_inbox": ("lead", "/officers"),
    "officer_inbox": ("officer", "/officers"),
    "officer_mine": ("officer", "/officers?mine=1"),
    "officer_unassigned": ("officer", "/officers?unassigned=1"),
    "lead_overdue": ("lead", "/officers?state=overdue"),
    "lead_due_today": ("lead", "/officers?state=due_today"),
    "lead_paused": ("lead", "/officers?state=paused"),
    "officer_search_word": ("officer", "/officers?q=tribunal"),
    "officer_search_words": ("officer", "/officers?q=tribunal+transport"),
    "lead_search_word": ("lead", "/officers?q=tribunal"),
    "officer_search_reference": ("officer", "/officers?q={reference}"),
    "static_css": ("lead", "/static/console.css"),
}
# Synthetic texts: each ticket a dozen of these (each word in about a sixth of them).
VOCABULARY = (
    "school", "transport", "tribunal", "annual", "review", "speech", "therapy", "assessment",
    "placement", "college", "respite", "funding", "budget", "appeal", "mediation", "nursery",
    "autism", "dyslexia", "wheelchair", "occupational", "physiotherapy", "hearing", "vision",
    "anxiety", "exclusion", "timetable", "teaching", "assistant", "provision", "draft", "plan",
    "deadline", "letter", "panel", "meeting", "caseworker", "paediatrician", "diagnosis",
    "referral", "waiting", "list", "behaviour", "sensory", "uniform", "bus", "taxi", "escort",
    "medical", "epilepsy", "diabetes", "allergy", "classroom", "support", "hours", "unit",
    "specialist", "mainstream", "academy", "governor", "headteacher", "complaint",
)  # fmt: skip


def _quantiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def _seed(app: App, count: int) -> str:
    """Tickets, some claimed, answered or closed, with their search hashes, in bulk.

    Returns an unclaimed open ticket's reference.
    """
    from sendbot.core.escalation.references import new_reference
    from sendbot.core.escalation.terms import hashes
    from sendbot.storage.models import Ticket, TicketMessage, TicketTerm

    rng = random.Random(20)  # nosec B311: synthetic data
    keyring, now = app.services.keyring, app.services.clock()
    parent = keyring.encrypt("1000")
    references: set[str] = set()
    while len(references) < count:
        references.add(new_reference("T"))
    rows: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    terms: list[dict[str, Any]] = []
    async with app.database.unit_of_work() as uow:
        officers = [o.id for o in await uow.officers.all()]
        for index, reference in enumerate(sorted(references)):
            created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 30))
            due = created + timedelta(days=7)
            claimed = index % 3 == 0
            closed = index % 10 == 0
            text = " ".join(rng.sample(VOCABULARY, 12))
            rows.append(
                {
                    "id": index + 1, "reference": reference, "draft_token": f"bench{index}",
                    "kind": rng.choice(("question", "complaint", "offer", "urgent")),
                    "status": "closed" if closed else ("claimed" if claimed else "open"),
                    "parent_key": f"{index:064d}", "channel": "telegram", "parent_ref": parent,
                    "body": keyring.encrypt(text),
                    "officer_id": rng.choice(officers) if claimed else None,
                    "created_at": created, "half_at": created + timedelta(days=3),
                    "due_at": due, "closed_at": now if closed else None,
                    "waiting_on_parent": index % 5 == 0,
                }
            )  # fmt: skip
            terms.extend({"ticket_id": index + 1, "term": h} for h in hashes(keyring, [text]))
            if index % 5 == 0:
                messages.append(
                    {"ticket_id": index + 1, "at": created + timedelta(hours=1),
                     "author": "officer", "officer_id": officers[0]}
                )  # fmt: skip
        for start in range(0, len(rows), 1000):
            await uow.session.execute(insert(Ticket), rows[start : start + 1000])
        for start in range(0, len(messages), 1000):
            await uow.session.execute(insert(TicketMessage), messages[start : start + 1000])
        for start in range(0, len(terms), 5000):
            await uow.session.execute(insert(TicketTerm), terms[start : start + 5000])
    return next(str(r["reference"]) for r in rows if r["status"] == "open")


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
            reference = await _seed(app, tickets)
            runner = web.AppRunner(build_web_app(app, jobs=False), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            try:
                root = f"http://127.0.0.1:{port}"
                result = await _measure(root, app, made, rounds, reference)
            finally:
                await runner.cleanup()
    backend = "postgresql" if (database_url or "").startswith("postgresql") else "sqlite"
    return {"scenario": "console", "tickets": tickets, "rounds": rounds, "database": backend,
            **result}  # fmt: skip


async def _measure(
    root: str, app: App, made: dict[str, tuple[str, str]], rounds: int, reference: str
) -> dict[str, Any]:
    """Each page once per round, in turn; p50 and p99 of each."""
    lead = await _signed_in(root, *made["lead"], app)
    officer = await _signed_in(root, *made["officer"], app)
    clients = {"lead": lead, "officer": officer}
    samples: dict[str, list[float]] = {name: [] for name in PAGES}
    sizes: dict[str, int] = {}
    found: dict[str, int | None] = {}
    try:
        for _ in range(rounds):
            for name, (who, path) in PAGES.items():
                url = root + path.format(reference=reference)
                start = time.perf_counter()
                async with clients[who].get(url, allow_redirects=False) as response:
                    body = await response.read()
                    assert response.status == 200, (name, response.status)
                samples[name].append(time.perf_counter() - start)
                sizes[name] = len(body)
                count = _COUNT.search(body.decode(errors="replace"))
                found[name] = int(count.group(1)) if count else None
    finally:
        await lead.close()
        await officer.close()
    result: dict[str, Any] = {}
    for name, taken in samples.items():
        p50, p99 = _quantiles(taken)
        result[name] = {"p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "bytes": sizes[name]}
        result[name]["found"] = found.get(name)
    return result


def format_table(result: dict[str, Any]) -> str:
    """The result as a small table."""
    lines = [
        f"officers' console, {result['tickets']:,} tickets on {result['database']}, "
        f"{result['rounds']} rounds (each page once per round, in turn)",
        "                           p50 ms   p99 ms    bytes   found",
    ]
    for name in PAGES:
        row = result[name]
        found = "" if row.get("found") is None else f"{row['found']:>7,}"
        lines.append(
            f"{name:<24} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['bytes']:>8,} {found}"
        )
    return "\n".join(lines)
