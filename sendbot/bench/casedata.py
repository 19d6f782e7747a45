"""Synthetic case files: plausible cases at every stage, with no real child in them."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from sendbot.core.cases.csv_rows import COLUMNS

HEADER = list(COLUMNS)
NAMES = ["Sam", "Ava", "Noah", "Amira", "Leo", "Maya", "Oliver", "Zara", "Theo", "Isla"]


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    """Write rows (missing columns empty) under a header."""
    columns = header or HEADER
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def synthetic_rows(
    count: int, seed: int = 7, today: date = date(2026, 11, 1)
) -> list[dict[str, str]]:
    """Plausible cases at every stage (no real child)."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        request = today - timedelta(days=rng.randint(0, 900))
        born = request - timedelta(days=rng.randint(365 * 2, 365 * 17))
        stage = rng.choice(
            ["request_received", "assessing", "draft_issued", "final_issued", "review_due"]
        )
        row = {
            "case_ref": f"EHC{index:07d}",
            "child_first_name": rng.choice(NAMES),
            "child_dob": born.isoformat(),
            "request_date": request.isoformat(),
            "stage": stage,
        }
        decision = request + timedelta(days=rng.randint(20, 60))
        draft = decision + timedelta(days=rng.randint(30, 90))
        final = draft + timedelta(days=rng.randint(15, 60))
        if stage != "request_received" and decision <= today:
            row["decision_date"] = decision.isoformat()
        if stage in ("draft_issued", "final_issued", "review_due"):
            draft = min(draft, today)
            final = min(final, today)
            row["draft_date"] = max(draft, request).isoformat()
            if stage != "draft_issued":
                row["final_date"] = max(final, request).isoformat()
        if stage == "draft_issued" and not row.get("draft_date"):
            row["draft_date"] = request.isoformat()
        rows.append(row)
    return rows
