"""`sendbot cases import` and `issue-code`: all or nothing, idempotent, events and alerts."""

from __future__ import annotations

import csv
import re
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sendbot.app import App, open_app
from sendbot.config import Settings
from sendbot.core.cases.codes import normalise_code
from sendbot.core.cases.importer import import_cases
from sendbot.storage.models import Case, CaseEvent, OutboxMessage
from tests.casefiles import HEADER, code_for, seed, write_csv

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, 10:00 in the UK
SECRET = "test-secret-key-not-for-production"
CODE_LINE = re.compile(r"^[2-9A-HJKMNP-TW-Z]{5}-[2-9A-HJKMNP-TW-Z]{5}$")

GOOD = [
    {
        "case_ref": "TS0001",
        "child_first_name": "Zebedee",
        "child_dob": "2015-05-03",
        "request_date": "2026-06-01",
        "stage": "assessing",
        "decision_date": "2026-07-10",
    },
    {
        "case_ref": "ts0002",
        "child_first_name": "Ava",
        "child_dob": "2012-01-31",
        "request_date": "2025-01-06",
        "stage": "final_issued",
        "decision_date": "2025-02-10",
        "draft_date": "2025-04-28",
        "final_date": "2025-05-20",
        "next_transfer_date": "2028-09-01",
        "exception": "(c)",
    },
]


@pytest.fixture
async def case_app(settings: Settings, database_url: str) -> AsyncIterator[App]:
    """The app on SQLite and on PostgreSQL, with a fixed clock."""
    async with open_app(settings.model_copy(update={"database_url": database_url})) as ready:
        ready.services.clock = lambda: NOW
        yield ready


async def count(app: App, model: type[object]) -> int:
    async with app.database.unit_of_work() as uow:
        return int(
            (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()
        )


async def run_import(app: App, path: Path, now: datetime = NOW, dry_run: bool = False):  # type: ignore[no-untyped-def]
    services = app.services
    return await import_cases(
        app.database, services.keyring, services.texts, path, now, dry_run=dry_run
    )


async def test_a_good_file_imports_and_stores_the_minimum(app: App, tmp_path: Path) -> None:
    report = await seed(app, GOOD, tmp_path / "cases.csv", NOW)
    assert (report.rows, report.created, report.changed, report.unchanged) == (2, 2, 0, 0)
    async with app.database.unit_of_work() as uow:
        case = await uow.cases.by_reference("TS0002")
        assert case is not None
        assert case.stage == "final_issued" and case.exception == "c"
        assert case.transfer_kind == "post16"  # 16 on 31 August 2028: into year 12
        assert "Ava" not in case.child_name
        assert app.services.keyring.decrypt(case.child_name) == "Ava"
        assert "2012" not in case.dob_digest and len(case.dob_digest) == 64
        events = await uow.cases.history(case.id)
    assert [e.kind for e in events] == ["created"]


async def test_bad_rows_are_all_reported_and_nothing_is_imported(app: App, tmp_path: Path) -> None:
    rows = [
        GOOD[0],
        {**GOOD[1], "child_dob": "31/01/2012"},
        {**GOOD[1], "case_ref": "TS0003", "request_date": "2027-01-01"},
        {**GOOD[1], "case_ref": "TS0004", "stage": "lost_in_post"},
        {**GOOD[1], "case_ref": "TS0005", "child_first_name": ""},
        {**GOOD[0], "child_first_name": "Zebedee"},  # duplicate of line 2
        {**GOOD[1], "case_ref": "TS0006", "stage": "final_issued", "final_date": ""},
        {**GOOD[1], "case_ref": "TS0007", "decision_date": "2024-12-01"},
        {**GOOD[1], "case_ref": "TS0008", "exception": "e"},
        {**GOOD[1], "case_ref": "TS0009", "final_date": "2025-02-30"},
        {**GOOD[1], "case_ref": "TS0010", "child_dob": "1990-01-01"},
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("TS0011,Zebedee,2015-05-03\n")
    report = await run_import(app, path)
    problems = {p.line: str(p) for p in report.problems}
    assert sorted(problems) == list(range(3, 14))
    assert "child_dob is not a date" in problems[3]
    assert "request_date is in the future" in problems[4]
    assert "'lost_in_post' is not one of" in problems[5]
    assert "child_first_name is empty" in problems[6]
    assert "duplicate case_ref (first on line 2)" in problems[7]
    assert "stage final_issued needs final_date" in problems[8]
    assert "decision_date is before request_date" in problems[9]
    assert "exception must be" in problems[10]
    assert "final_date is not a date" in problems[11]
    assert "older than 25" in problems[12]
    assert "expected 11 fields, found 3" in problems[13]
    text = "\n".join(problems.values())
    assert "Zebedee" not in text and "Ava" not in text
    assert "2012-01-31" not in text and "31/01/2012" not in text
    assert await count(app, Case) == 0


async def test_header_problems_are_reported_on_line_1(app: App, tmp_path: Path) -> None:
    missing = write_csv(tmp_path / "a.csv", GOOD, header=[c for c in HEADER if c != "stage"])
    report = await run_import(app, missing)
    assert [str(p) for p in report.problems] == ["line 1: missing required column(s): stage"]
    unknown = write_csv(tmp_path / "b.csv", GOOD, header=[*HEADER, "child_surname"])
    assert "unknown column(s): 'child_surname'" in str((await run_import(app, unknown)).problems[0])
    empty = tmp_path / "c.csv"
    empty.write_text("")
    assert "empty" in str((await run_import(app, empty)).problems[0])


async def test_dry_run_reports_and_saves_nothing(app: App, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cases.csv", GOOD)
    report = await run_import(app, path, dry_run=True)
    assert (report.created, report.dry_run, report.problems) == (2, True, [])
    assert await count(app, Case) == 0 and await count(app, CaseEvent) == 0


async def test_reimporting_the_same_file_changes_nothing(case_app: App, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cases.csv", GOOD)
    await run_import(case_app, path)
    async with case_app.database.unit_of_work() as uow:
        stored = (await uow.session.execute(select(Case).order_by(Case.id))).scalars().all()
        snapshot = [(c.id, c.child_name, c.row_digest, c.updated_at) for c in stored]
    again = await run_import(case_app, path, now=NOW + timedelta(days=3))
    assert (again.created, again.changed, again.unchanged) == (0, 0, 2)
    async with case_app.database.unit_of_work() as uow:
        stored = (await uow.session.execute(select(Case).order_by(Case.id))).scalars().all()
        assert [(c.id, c.child_name, c.row_digest, c.updated_at) for c in stored] == snapshot
    assert await count(case_app, CaseEvent) == 2


async def test_changed_rows_add_events_and_stage_changes_alert_linked_parents(
    case_app: App, tmp_path: Path
) -> None:
    await seed(case_app, GOOD, tmp_path / "v1.csv", NOW)
    code = await code_for(case_app, "TS0001", NOW)
    async with case_app.database.unit_of_work() as uow:
        case = await uow.cases.by_reference("TS0001")
        assert case is not None
        chat_ref = case_app.services.keyring.encrypt("555")
        await uow.cases.add_link(case.id, "chat-a", "telegram", chat_ref, NOW)
        await uow.cases.add_link(case.id, "chat-b", "telegram", chat_ref, NOW)
    assert code
    changed = [
        {**GOOD[0], "stage": "draft_issued", "draft_date": "2026-10-01"},
        {**GOOD[1], "last_review_date": "2026-05-01", "child_first_name": "Eva"},
    ]
    evening = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)  # 22:30 in the UK
    report = await seed(case_app, changed, tmp_path / "v2.csv", evening)
    assert (report.changed, report.stage_changes, report.alerts) == (2, 1, 2)
    async with case_app.database.unit_of_work() as uow:
        first = await uow.cases.by_reference("TS0001")
        second = await uow.cases.by_reference("TS0002")
        assert first is not None and second is not None
        assert first.stage == "draft_issued"
        assert case_app.services.keyring.decrypt(second.child_name) == "Eva"
        history = await uow.cases.history(first.id)
        other = await uow.cases.history(second.id)
        outbox = (await uow.session.execute(select(OutboxMessage))).scalars().all()
    stage_event = history[-1]
    assert (stage_event.kind, stage_event.previous_stage, stage_event.stage) == (
        "stage",
        "assessing",
        "draft_issued",
    )
    assert stage_event.detail == {"changed": ["draft_date", "stage"]}
    assert other[-1].kind == "updated"
    assert other[-1].detail == {"changed": ["child_first_name", "last_review_date"]}
    assert sorted(m.dedupe_key for m in outbox) == [
        f"case:{first.id}:stage:{stage_event.id}:chat-a",
        f"case:{first.id}:stage:{stage_event.id}:chat-b",
    ]
    message = outbox[0]
    assert "TS0001" in message.html and "draft plan sent" in message.html
    assert "Zebedee" not in message.html
    assert message.next_attempt_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert message.buttons == [
        [{"label": "See where it stands", "data": f"c:v:{first.id}", "url": None}]
    ]
    again = await seed(case_app, changed, tmp_path / "v3.csv", evening + timedelta(hours=1))
    assert (again.changed, again.alerts) == (0, 0)
    assert await count(case_app, OutboxMessage) == 2


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sendbot", *args],
        capture_output=True,
        text=True,
        env=dict(env, SENDBOT_SECRET_KEY=SECRET),
        timeout=120,
        check=False,
    )


def test_cli_import_then_issue_code_prints_the_code_alone_on_the_last_line(
    env_for_cli: dict[str, str], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "cases.csv", GOOD)
    dry = run_cli(env_for_cli, "cases", "import", str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "2 new" in dry.stdout and "nothing was saved" in dry.stdout
    done = run_cli(env_for_cli, "cases", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert "2 rows checked: 2 new" in done.stdout
    issued = run_cli(env_for_cli, "cases", "issue-code", "ts0001")
    assert issued.returncode == 0, issued.stderr
    last = issued.stdout.rstrip("\n").splitlines()[-1]
    assert CODE_LINE.match(last), issued.stdout
    assert normalise_code(last.lower().replace("-", " ")) == last.replace("-", "")
    assert "TS0001" in issued.stdout and "Zebedee" not in issued.stdout
    missing = run_cli(env_for_cli, "cases", "issue-code", "NOPE")
    assert missing.returncode == 1 and "no case with reference" in missing.stderr
    merge = tmp_path / "letters.csv"
    bulk = run_cli(env_for_cli, "cases", "issue-code", "--all-unlinked", str(merge))
    assert bulk.returncode == 0, bulk.stderr
    with merge.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["case_ref"] for r in rows] == ["TS0001", "TS0002"]
    assert all(CODE_LINE.match(r["code"]) for r in rows)
    assert all(re.match(r"^\d{4}-\d{2}-\d{2}$", r["expires"]) for r in rows)
    assert stat.S_IMODE(merge.stat().st_mode) == 0o600
    again = run_cli(env_for_cli, "cases", "issue-code", "--all-unlinked", str(merge))
    assert again.returncode == 2 and "exists already" in again.stderr


def test_cli_import_with_problems_exits_1_without_names(
    env_for_cli: dict[str, str], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "bad.csv", [GOOD[0], {**GOOD[1], "child_dob": "2012-13-01"}])
    result = run_cli(env_for_cli, "cases", "import", str(path))
    assert result.returncode == 1
    assert "line 3 (case TS0002): child_dob is not a date" in result.stdout
    assert "nothing was imported" in result.stdout
    assert "Ava" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


async def test_a_large_file_imports_in_batches(app: App, tmp_path: Path) -> None:
    from tests.casefiles import synthetic_rows

    rows = synthetic_rows(2500)
    report = await seed(app, rows, tmp_path / "big.csv", NOW)
    assert report.created == 2500
    assert await count(app, Case) == 2500
    rows[10]["stage"] = "final_issued" if rows[10]["stage"] != "final_issued" else "review_due"
    rows[10]["final_date"] = rows[10].get("final_date") or rows[10]["request_date"]
    rows[10]["draft_date"] = rows[10].get("draft_date") or rows[10]["request_date"]
    report = await seed(app, rows, tmp_path / "big2.csv", NOW)
    assert (report.changed, report.unchanged, report.stage_changes) == (1, 2499, 1)
