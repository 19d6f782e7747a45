"""The SEN2-shaped import: 100,000 rows through a column map, against the usual import of
the same cases and against only reading the file, then the council figures for that file.
"""

from __future__ import annotations

import asyncio
import csv
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sendbot.bench.casedata import synthetic_rows, write_csv
from sendbot.bench.cases import postgres_reachable, read_csv_rows, scratch_database
from sendbot.core.cases.column_map import ColumnMap
from sendbot.core.cases.importer import import_cases
from sendbot.core.cases.stats import CouncilStats, council_stats
from sendbot.core.cases.timefmt import london_today
from sendbot.core.keyring import Keyring
from sendbot.kb.texts import Texts
from sendbot.storage.db import Database

EXCEPTION_EVERY = 17  # one plan in 17 carries a reg 10(4) exception


def _uk(text: str | None) -> str:
    return date.fromisoformat(text).strftime("%d/%m/%Y") if text else ""


def sen2_file(rows: list[dict[str, str]], path: Path, column_map: ColumnMap) -> Path:
    """The same cases as a SEN2-shaped extract, with the map's headers (and one extra)."""
    header = [*column_map.columns.values(), "Ethnicity"]
    h = column_map.columns
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for index, row in enumerate(rows):
            final = row.get("final_date", "")
            limit = date.fromisoformat(row["request_date"]) + timedelta(weeks=20)
            flag = ("Y" if date.fromisoformat(final) <= limit else "N") if final else ""
            values = {
                h["case_ref"]: row["case_ref"],
                h["child_first_name"]: row["child_first_name"],
                h["child_dob"]: _uk(row["child_dob"]),
                h["request_date"]: _uk(row["request_date"]),
                h["assessment_outcome"]: "Assessment agreed" if row.get("decision_date") else "",
                h["decision_date"]: _uk(row.get("decision_date")),
                h["plan_outcome"]: "Plan" if final else "",
                h["draft_date"]: _uk(row.get("draft_date")),
                h["final_date"]: _uk(final),
                h["within_20_weeks"]: flag,
                h["exception"]: "c" if final and index % EXCEPTION_EVERY == 0 else "None",
                h["last_review_date"]: "",
                h["next_transfer_date"]: "",
                h["ceased_date"]: "",
                "Ethnicity": "WBRI",
            }
            writer.writerow([values.get(name, "") for name in header])
    return path


async def _import(
    database: Database,
    keyring: Keyring,
    texts: Texts,
    path: Path,
    now: datetime,
    column_map: ColumnMap | None,
) -> float:
    begin = time.perf_counter()
    report = await import_cases(database, keyring, texts, path, now, column_map=column_map)
    seconds = time.perf_counter() - begin
    if report.problems:
        raise RuntimeError(f"benchmark file rejected: {report.problems[0]}")
    return seconds


def figures(stats: CouncilStats) -> dict[str, Any]:
    """The figures as the report shows them."""
    return {
        "plans_issued": stats.plans.whole.value,
        "within_20_weeks": stats.plans.part.value,
        "percent": stats.plans.percent,
        "plans_issued_ex": stats.plans_ex.whole.value,
        "within_20_weeks_ex": stats.plans_ex.part.value,
        "percent_ex": stats.plans_ex.percent,
        "median_weeks": stats.median_weeks,
        "waiting": stats.waiting.value,
        "waiting_over_20_weeks": stats.waiting_over_20.value,
        "waiting_over_52_weeks": stats.waiting_over_52.value,
        "waiting_median_weeks": stats.waiting_median_weeks,
    }


async def run_sen2_benchmark(
    keyring: Keyring,
    texts: Texts,
    column_map: ColumnMap,
    now: datetime,
    *,
    rows: int,
    postgres_url: str,
) -> list[dict[str, Any]]:
    """The three timings and the figures, on SQLite and on PostgreSQL when reachable."""
    today = london_today(now)
    cases = synthetic_rows(rows, today=today)
    backends = ["sqlite"]
    if await postgres_reachable(postgres_url):
        backends.append("postgresql")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        plain = write_csv(Path(folder) / "cases.csv", cases)
        shaped = sen2_file(cases, Path(folder) / "sen2.csv", column_map)
        begin = time.perf_counter()
        read_csv_rows(shaped)
        read_s = time.perf_counter() - begin
        for backend in backends:
            row: dict[str, Any] = {"scenario": "sen2", "backend": backend, "rows": rows}
            async with scratch_database(backend, postgres_url) as database:
                row["usual_import_s"] = round(
                    await _import(database, keyring, texts, plain, now, None), 2
                )
            async with scratch_database(backend, postgres_url) as database:
                mapped = await _import(database, keyring, texts, shaped, now, column_map)
                row["sen2_import_s"] = round(mapped, 2)
                begin = time.perf_counter()
                async with database.unit_of_work() as uow:
                    stats = await council_stats(uow, today)
                row["stats_s"] = round(time.perf_counter() - begin, 3)
            row["csv_read_s"] = round(read_s, 3)
            row["sen2_rows_per_s"] = round(rows / mapped)
            row["figures"] = figures(stats)
            results.append(row)
    return results


def format_table(results: list[dict[str, Any]]) -> str:
    """The timings, then the figures for the benchmark file."""
    lines = [
        f"{'backend':<11} {'rows':>8} {'csv read s':>10} {'usual import s':>14} "
        f"{'SEN2 import s':>13} {'rows/s':>8} {'stats s':>8}"
    ]
    for row in results:
        lines.append(
            f"{row['backend']:<11} {row['rows']:>8,} {row['csv_read_s']:>10} "
            f"{row['usual_import_s']:>14} {row['sen2_import_s']:>13} "
            f"{row['sen2_rows_per_s']:>8,} {row['stats_s']:>8}"
        )
    if results:
        lines.append("")
        lines.append("Figures for the benchmark file:")
        lines += [f"  {k}: {v}" for k, v in results[0]["figures"].items()]
    return "\n".join(lines)


def run(
    keyring: Keyring, texts: Texts, column_map: ColumnMap, now: datetime, **options: Any
) -> list[dict[str, Any]]:
    """Run the SEN2 benchmark to completion."""
    return asyncio.run(run_sen2_benchmark(keyring, texts, column_map, now, **options))
