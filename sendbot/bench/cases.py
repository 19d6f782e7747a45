"""Case benchmarks: importing a council's export, and status lookups among a million cases.

Each figure comes with a baseline measured in the same run on the same database, so the
ratio says what the work itself costs: the import against reading the same CSV file, and
a parent's status lookup against a trivial query through the same unit of work.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, text

from sendbot.bench.casedata import synthetic_rows, write_csv
from sendbot.bench.memory import peak_rss_mb
from sendbot.clock import system_clock
from sendbot.core.cases.importer import import_cases
from sendbot.core.cases.status import child_name, entry_buttons, status_text
from sendbot.core.cases.timefmt import london_today
from sendbot.core.keyring import Keyring
from sendbot.kb.loader import KnowledgeBase
from sendbot.kb.texts import Texts
from sendbot.storage.db import Database
from sendbot.storage.models import Case, CaseLink

STAGES = ["request_received", "assessing", "draft_issued", "final_issued", "review_due"]
CHUNK = 5_000


def percentiles(times_ms: list[float]) -> dict[str, float]:
    """p50 and p99 of a list of milliseconds."""
    values = np.array(times_ms)
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p99_ms": round(float(np.percentile(values, 99)), 3),
    }


@contextlib.asynccontextmanager
async def scratch_database(backend: str, postgres_url: str) -> AsyncIterator[Database]:
    """A fresh, migrated database: a SQLite file, or a PostgreSQL schema dropped after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            database = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
            try:
                await database.upgrade()
                yield database
            finally:
                await database.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = Database(postgres_url)
    try:
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in postgres_url else "?"
        database = Database(f"{postgres_url}{separator}search_path={schema}")
        try:
            await database.upgrade()
            yield database
        finally:
            await database.dispose()
    finally:
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


async def postgres_reachable(url: str) -> bool:
    """Whether the PostgreSQL server in a URL accepts a connection."""
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        await database.dispose()


def read_csv_rows(path: Path) -> int:
    """The baseline for an import: only reading and splitting the same file."""
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


async def bench_import(
    database: Database, keyring: Keyring, texts: Texts, rows: int, folder: Path
) -> dict[str, Any]:
    """Import `rows` synthetic cases, then the same file again (which must change nothing)."""
    path = write_csv(folder / "cases.csv", synthetic_rows(rows, today=london_today(system_clock())))
    begin = time.perf_counter()
    read_csv_rows(path)
    parse_s = time.perf_counter() - begin
    begin = time.perf_counter()
    report = await import_cases(database, keyring, texts, path, system_clock())
    import_s = time.perf_counter() - begin
    if report.problems:
        raise RuntimeError(f"benchmark file rejected: {report.problems[0]}")
    begin = time.perf_counter()
    again = await import_cases(database, keyring, texts, path, system_clock())
    reimport_s = time.perf_counter() - begin
    return {
        "rows": rows,
        "import_s": round(import_s, 2),
        "rows_per_s": round(rows / import_s),
        "reimport_s": round(reimport_s, 2),
        "reimport_unchanged": again.unchanged == rows,
        "csv_read_s": round(parse_s, 3),
        "ratio_to_csv_read": round(import_s / parse_s, 1),
    }


def _case_rows(start: int, count: int, name_token: str, rng: random.Random) -> list[dict[str, Any]]:
    """Bulk rows for the cases table (the name is one encrypted token shared by all)."""
    today = london_today(system_clock())
    now = system_clock()
    rows = []
    for number in range(start, start + count):
        request = today - timedelta(days=rng.randint(0, 900))
        stage = rng.choice(STAGES)
        rows.append(
            {
                "reference": f"B{number:09d}",
                "child_name": name_token,
                "dob_digest": f"{rng.getrandbits(256):064x}",
                "stage": stage,
                "request_date": request,
                "decision_date": request + timedelta(days=40) if stage != STAGES[0] else None,
                "row_digest": f"{rng.getrandbits(256):064x}",
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


async def fill_cases(database: Database, keyring: Keyring, count: int, linked: int) -> list[str]:
    """Insert `count` cases and link `linked` of them to chats; return those chats' keys."""
    rng = random.Random(3)
    token = keyring.encrypt("Sam")
    for start in range(0, count, CHUNK):
        batch = _case_rows(start, min(CHUNK, count - start), token, rng)
        async with database.unit_of_work() as uow:
            await uow.session.execute(insert(Case), batch)
    chosen = rng.sample(range(1, count + 1), min(linked, count))
    keys = [f"{rng.getrandbits(256):064x}" for _ in chosen]
    links = [
        {"case_id": case_id, "chat_key": key, "channel": "telegram", "created_at": system_clock()}
        for case_id, key in zip(chosen, keys, strict=True)
    ]
    async with database.unit_of_work() as uow:
        await uow.session.execute(insert(CaseLink), links)
        if uow.session.get_bind().dialect.name == "postgresql":
            for table in ("cases", "case_links"):
                await uow.session.execute(text(f"ANALYZE {table}"))
    return keys


async def _timed(work: Callable[[], Awaitable[object]], repeats: int) -> list[float]:
    """Milliseconds each of `repeats` calls took."""
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        await work()
        times.append((time.perf_counter() - begin) * 1000)
    return times


async def bench_lookups(
    database: Database,
    keyring: Keyring,
    texts: Texts,
    kb: KnowledgeBase,
    cases: int,
    lookups: int,
) -> dict[str, Any]:
    """A parent's status view among `cases` cases, against a trivial query, p50 and p99."""
    begin = time.perf_counter()
    keys = await fill_cases(database, keyring, cases, linked=min(1000, cases))
    fill_s = time.perf_counter() - begin
    rng = random.Random(5)
    today = london_today(system_clock())

    async def status() -> None:
        async with database.unit_of_work() as uow:
            for case in await uow.cases.linked_cases(rng.choice(keys)):
                status_text(texts, case, child_name(keyring, texts, case), today)
                entry_buttons(kb, case, today)

    async def trivial() -> None:
        async with database.unit_of_work() as uow:
            await uow.session.execute(text("SELECT 1"))

    await _timed(status, 50)  # warm the pool and caches
    await _timed(trivial, 50)
    status_times = await _timed(status, lookups)
    baseline_times = await _timed(trivial, lookups)
    result = {"cases": cases, "lookups": lookups, "fill_s": round(fill_s, 1)}
    result.update(percentiles(status_times))
    base = percentiles(baseline_times)
    result["baseline_p50_ms"] = base["p50_ms"]
    result["baseline_p99_ms"] = base["p99_ms"]
    result["p99_ratio_to_baseline"] = round(result["p99_ms"] / base["p99_ms"], 2)
    return result


async def run_cases_benchmark(
    keyring: Keyring,
    texts: Texts,
    kb: KnowledgeBase,
    *,
    import_rows: int,
    cases: int,
    lookups: int,
    postgres_url: str,
) -> list[dict[str, Any]]:
    """Both measures on SQLite, and on PostgreSQL when it is reachable."""
    backends = ["sqlite"]
    if await postgres_reachable(postgres_url):
        backends.append("postgresql")
    results = []
    for backend in backends:
        row: dict[str, Any] = {"scenario": "cases", "backend": backend}
        with tempfile.TemporaryDirectory() as folder:
            async with scratch_database(backend, postgres_url) as database:
                row["import"] = await bench_import(
                    database, keyring, texts, import_rows, Path(folder)
                )
            async with scratch_database(backend, postgres_url) as database:
                row["status"] = await bench_lookups(database, keyring, texts, kb, cases, lookups)
        row["rss_mb"] = peak_rss_mb()
        results.append(row)
    return results


def format_table(results: list[dict[str, Any]]) -> str:
    """A readable table of the case benchmark."""
    lines = [
        f"{'backend':<11} {'import rows':>11} {'import s':>9} {'rows/s':>8} {'x csv read':>10} "
        f"{'cases':>9} {'status p50':>10} {'p99 ms':>7} {'x SELECT 1':>10} {'peak MB':>8}"
    ]
    for row in results:
        imp, status = row["import"], row["status"]
        lines.append(
            f"{row['backend']:<11} {imp['rows']:>11,} {imp['import_s']:>9} {imp['rows_per_s']:>8,} "
            f"{imp['ratio_to_csv_read']:>10} {status['cases']:>9,} {status['p50_ms']:>10} "
            f"{status['p99_ms']:>7} {status['p99_ratio_to_baseline']:>10} {row['rss_mb']:>8}"
        )
    return "\n".join(lines)


def run(keyring: Keyring, texts: Texts, kb: KnowledgeBase, **options: Any) -> list[dict[str, Any]]:
    """Run the case benchmark to completion."""
    return asyncio.run(run_cases_benchmark(keyring, texts, kb, **options))
