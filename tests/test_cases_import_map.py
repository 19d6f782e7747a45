"""Importing a council's own export through a column map (the person-level SEN2 shape)."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from sendbot.app import App
from sendbot.cli import cli
from sendbot.clock import FrozenClock
from sendbot.config import bundled_knowledge_dir
from sendbot.core.cases.column_map import MapError, load_map
from sendbot.core.cases.importer import import_cases
from sendbot.core.cases.stats import council_stats
from sendbot.storage.models import Case

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PACK_MAP = bundled_knowledge_dir() / "local" / "bristol" / "import-map.yaml"
STATS = Path(__file__).parent / "data" / "cases" / "stats.csv"
SECRET = "test-secret-key-not-for-production"
HEADER = [
    "Person ID",
    "UPN",
    "Forename",
    "Date of birth",
    "Ethnicity",
    "Request received date",
    "Request outcome",
    "Request outcome date",
    "Assessment outcome",
    "Draft plan date",
    "Plan issued date",
    "Issued within 20 weeks",
    "20 week exception",
    "Last annual review date",
    "Next phase transfer date",
    "Plan ceased date",
]


def uk(text: str) -> str:
    return date.fromisoformat(text).strftime("%d/%m/%Y") if text else ""


def sen2_row(row: dict[str, str]) -> dict[str, str]:
    """One of our test rows as the SEN2-shaped extract would give it."""
    stage = row["stage"]
    final = row["final_date"]
    flag = ""
    if final:
        limit = date.fromisoformat(row["request_date"]) + timedelta(weeks=20)
        flag = "Y" if date.fromisoformat(final) <= limit else "N"
    return {
        "Person ID": row["case_ref"],
        "UPN": "A123456789012",
        "Forename": row["child_first_name"],
        "Date of birth": uk(row["child_dob"]),
        "Ethnicity": "WBRI",
        "Request received date": uk(row["request_date"]),
        "Request outcome": "Assessment refused" if stage == "refused_to_assess" else (
            "" if stage == "request_received" else "Assessment agreed"
        ),
        "Request outcome date": uk(row["decision_date"]),
        "Assessment outcome": "No plan" if stage == "not_issuing" else (
            "Plan" if final else ""
        ),
        "Draft plan date": uk(row["draft_date"]),
        "Plan issued date": uk(final),
        "Issued within 20 weeks": flag,
        "20 week exception": row["exception"] or "None",
        "Last annual review date": uk(row["last_review_date"]),
        "Next phase transfer date": uk(row["next_transfer_date"]),
        "Plan ceased date": "01/09/2025" if stage == "ceased" else "",
    }  # fmt: skip


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def our_rows() -> list[dict[str, str]]:
    with STATS.open(newline="") as handle:
        return list(csv.DictReader(handle))


async def test_the_sen2_shape_imports_with_the_same_stages_and_figures(
    app: App, tmp_path: Path
) -> None:
    rows = our_rows()
    path = write(tmp_path / "sen2.csv", [sen2_row(r) for r in rows])
    keyring, texts = app.services.keyring, app.services.texts
    report = await import_cases(
        app.database, keyring, texts, path, NOW, column_map=load_map(PACK_MAP)
    )
    assert report.problems == [], [str(p) for p in report.problems]
    assert report.created == len(rows)
    async with app.database.unit_of_work() as uow:
        stored = {c.reference: c for c in (await uow.session.execute(select(Case))).scalars()}
        stats = await council_stats(uow, date(2026, 11, 23))
    # review_due is not in the SEN2 shape: a plan with no newer step reads as final_issued.
    expected = {r["case_ref"]: r["stage"].replace("review_due", "final_issued") for r in rows}
    assert {ref: c.stage for ref, c in stored.items()} == expected
    assert stored["P04"].exception == "c" and stored["P01"].exception is None
    assert stored["P03"].final_date == date(2026, 7, 20)
    assert stored["W02"].decision_date == date(2026, 7, 13)
    # The same hand count as tests/test_cases_stats.py.
    assert (stats.plans.part.value, stats.plans.whole.value, stats.plans.percent) == (6, 10, 60.0)
    assert stats.plans_ex.percent == 62.5 and stats.median_weeks == 20.0
    assert stats.waiting.value == 6


async def test_a_wrong_flag_or_date_is_refused_by_line_without_names(
    app: App, tmp_path: Path
) -> None:
    rows = [sen2_row(r) for r in our_rows()[:3]]
    rows[0]["Issued within 20 weeks"] = "N"  # P01 was on time
    rows[1]["Request received date"] = "2026-01-12"  # not dd/mm/yyyy
    path = write(tmp_path / "bad.csv", rows)
    report = await import_cases(
        app.database,
        app.services.keyring,
        app.services.texts,
        path,
        NOW,
        column_map=load_map(PACK_MAP),
    )
    problems = [str(p) for p in report.problems]
    assert problems[0] == (
        "line 2 (case P01): within_20_weeks says over 20 weeks, but the dates say otherwise"
    )
    assert problems[1].startswith("line 3 (case P02): ")
    assert "request_date is not a date in the form %d/%m/%Y" in problems[1]
    assert not any("Ann" in p or "Ben" in p for p in problems)
    assert report.created == 0


async def test_a_missing_mapped_column_is_named(app: App, tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("Person ID,Forename,Date of birth\nX1,Ann,01/01/2015\n")
    report = await import_cases(
        app.database,
        app.services.keyring,
        app.services.texts,
        path,
        NOW,
        column_map=load_map(PACK_MAP),
    )
    assert "missing required column(s): Request received date" in str(report.problems[0])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: x\ncolumns: {case_ref: A}\n", "the map must name a column for"),
        ("name: x\ncolumns: {case_ref: A, child_first_name: B, child_dob: C, request_date: D, "
         "shoe_size: E}\n", "unknown field"),
        ("name: x\ncolumns: {case_ref: A, child_first_name: A, child_dob: C, request_date: D}\n",
         "same column"),
        ("name: x\ncolumns: {case_ref: A, child_first_name: B, child_dob: C, request_date: D}\n"
         "exceptions: {e: e}\n", "values must be one of"),
    ],
)  # fmt: skip
def test_bad_maps_are_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(text)
    with pytest.raises(MapError, match=problem):
        load_map(path)


def test_cli_uses_the_pack_map_or_the_one_given(
    env_for_cli: dict[str, str], knowledge_dir: Path, tmp_path: Path
) -> None:
    env = dict(env_for_cli, SENDBOT_SECRET_KEY=SECRET)
    path = write(tmp_path / "sen2.csv", [sen2_row(r) for r in our_rows()])
    runner = CliRunner()
    given = runner.invoke(
        cli, ["cases", "import", str(path), "--map", str(PACK_MAP), "--dry-run"],
        env=env, obj=FrozenClock(NOW),
    )  # fmt: skip
    assert given.exit_code == 0, given.output
    assert "column map 'Person-level SEN2 extract'" in given.output
    assert "20 rows checked: 20 new" in given.output
    # Without --map and with no map in the pack, the usual columns are required.
    plain = runner.invoke(cli, ["cases", "import", str(path)], env=env, obj=FrozenClock(NOW))
    assert plain.exit_code == 1 and "missing required column(s)" in plain.output
    shutil.copy(PACK_MAP, knowledge_dir / "local" / "testshire" / "import-map.yaml")
    packed = runner.invoke(cli, ["cases", "import", str(path)], env=env, obj=FrozenClock(NOW))
    assert packed.exit_code == 0, packed.output
    assert "20 rows checked: 20 new" in packed.output


async def test_the_sen2_bench_figures_match_a_count_of_its_own_file(tmp_path: Path) -> None:
    from sendbot.bench.casedata import synthetic_rows
    from sendbot.bench.sen2 import EXCEPTION_EVERY, figures, run_sen2_benchmark
    from sendbot.core.cases.stats import compute
    from sendbot.core.keyring import Keyring
    from sendbot.kb.texts import Texts

    texts = Texts.load(bundled_knowledge_dir() / "messages.yaml")
    results = await run_sen2_benchmark(
        Keyring(["bench-test-key-0123456789abcdef0123"]),
        texts,
        load_map(PACK_MAP),
        NOW,
        rows=300,
        postgres_url="postgresql+asyncpg://postgres@127.0.0.1:1/unreachable",
    )
    assert [r["backend"] for r in results] == ["sqlite"]
    today = date(2026, 11, 23)
    counted = [
        (
            r["stage"].replace("review_due", "final_issued"),
            date.fromisoformat(r["request_date"]),
            date.fromisoformat(r["final_date"]) if r.get("final_date") else None,
            "c" if r.get("final_date") and i % EXCEPTION_EVERY == 0 else None,
        )
        for i, r in enumerate(synthetic_rows(300, today=today))
    ]
    assert results[0]["figures"] == figures(compute(counted, today))
    assert results[0]["figures"]["plans_issued"] > 0
