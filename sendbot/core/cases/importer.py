"""`sendbot cases import`: the council's CSV export in, all or nothing.

Every row is checked before anything is written; one bad row stops the whole import and
every bad row is reported by line number and reason (never with the child's name or date of
birth). A row whose content is unchanged writes nothing, so importing the same file twice
changes nothing; a changed row updates its case and adds an event, and a changed stage
queues an alert to each linked parent in the same transaction.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from sendbot.core import audit
from sendbot.core.cases.alerts import alert_links, stage_alert
from sendbot.core.cases.codes import dob_digest
from sendbot.core.cases.column_map import ColumnMap, Translator
from sendbot.core.cases.deadlines import STAGES, age_on, transfer_kind
from sendbot.core.cases.timefmt import london_today
from sendbot.core.keyring import Keyring
from sendbot.core.texts import Texts
from sendbot.storage.db import Database
from sendbot.storage.unit_of_work import UnitOfWork

REQUIRED = ("case_ref", "child_first_name", "child_dob", "request_date", "stage")
DATE_COLUMNS = (
    "decision_date",
    "draft_date",
    "final_date",
    "last_review_date",
    "next_transfer_date",
)
OPTIONAL = (*DATE_COLUMNS, "exception")
COLUMNS = REQUIRED + OPTIONAL
# Steps that cannot have happened before the request.
AFTER_REQUEST = ("decision_date", "draft_date", "final_date")
# Columns that record something that has already happened (so not in the future).
PAST_ONLY = ("decision_date", "draft_date", "final_date", "last_review_date")
STAGE_NEEDS = {
    "refused_to_assess": "decision_date",
    "draft_issued": "draft_date",
    "final_issued": "final_date",
    "review_due": "final_date",
}
MAX_AGE = 25
NAME_CHARS = 40
REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9/_.-]{0,31}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EXCEPTION = re.compile(
    r"^(?:reg(?:ulation)?\s*)?(?:10\s*\(\s*4\s*\)\s*)?\(?\s*([a-d])\s*\)?$", re.IGNORECASE
)
BATCH = 1000

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One valid row of the export, normalised."""

    line: int
    reference: str
    first_name: str
    born: date
    stage: str
    request_date: date
    decision_date: date | None
    draft_date: date | None
    final_date: date | None
    last_review_date: date | None
    next_transfer_date: date | None
    exception: str | None

    def canonical(self) -> str:
        """Everything the row says, in one stable string (for change detection)."""
        values: list[object] = [
            self.reference,
            self.first_name,
            self.born,
            self.stage,
            self.request_date,
            self.decision_date,
            self.draft_date,
            self.final_date,
            self.last_review_date,
            self.next_transfer_date,
            self.exception,
        ]
        return "\x1f".join("" if v is None else str(v) for v in values)

    def transfer_kind(self) -> str | None:
        """The reg 18 rule for the next transfer, if one is recorded."""
        if self.next_transfer_date is None:
            return None
        return transfer_kind(self.born, self.next_transfer_date)

    def columns(self) -> dict[str, Any]:
        """The stored columns that are not personal data."""
        return {
            "stage": self.stage,
            "request_date": self.request_date,
            "decision_date": self.decision_date,
            "draft_date": self.draft_date,
            "final_date": self.final_date,
            "last_review_date": self.last_review_date,
            "next_transfer_date": self.next_transfer_date,
            "transfer_kind": self.transfer_kind(),
            "exception": self.exception,
        }


@dataclass(frozen=True)
class RowProblem:
    """Why one line was refused."""

    line: int
    reason: str
    reference: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" (case {self.reference})" if self.reference else "")
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    """What an import found and did."""

    rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    stage_changes: int = 0
    alerts: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Whether the file was accepted."""
        return not self.problems


def _date(value: str) -> date | None:
    """An ISO date (YYYY-MM-DD), or None if it is not one."""
    if not ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def check_row(line: int, raw: dict[str, str], today: date) -> CaseRow | RowProblem:
    """Validate and normalise one row; the reasons never quote the name or date of birth."""
    reasons: list[str] = []
    reference = raw.get("case_ref", "").strip().upper()
    if not reference:
        reasons.append("case_ref is empty")
    elif not REFERENCE.match(reference):
        reasons.append(
            "case_ref must be 1 to 32 letters, digits, '/', '_', '.' or '-', starting with "
            "a letter or digit"
        )
        reference = ""
    name = " ".join(raw.get("child_first_name", "").split())
    if not name:
        reasons.append("child_first_name is empty")
    elif len(name) > NAME_CHARS:
        reasons.append(f"child_first_name is longer than {NAME_CHARS} characters")
    elif len(name.split(" ")) > 2 or any(ch.isdigit() for ch in name):
        reasons.append("child_first_name does not look like a first name (give it alone)")
    values: dict[str, date | None] = {}
    for column in ("child_dob", "request_date", *DATE_COLUMNS):
        text = raw.get(column, "").strip()
        if not text:
            values[column] = None
            if column in ("child_dob", "request_date"):
                reasons.append(f"{column} is empty")
            continue
        parsed = _date(text)
        if parsed is None:
            reasons.append(f"{column} is not a date in the form YYYY-MM-DD")
        values[column] = parsed
    stage = raw.get("stage", "").strip().lower()
    if not stage:
        reasons.append("stage is empty")
    elif stage not in STAGES:
        shown = stage if len(stage) <= 30 else stage[:30] + "..."
        reasons.append(f"stage {shown!r} is not one of: {', '.join(STAGES)}")
    exception_text = raw.get("exception", "").strip()
    exception = None
    if exception_text:
        match = EXCEPTION.match(exception_text)
        if match:
            exception = match.group(1).lower()
        else:
            reasons.append("exception must be a, b, c or d (the reg 10(4) reason) or empty")
    born, requested = values["child_dob"], values["request_date"]
    if born is not None:
        if born > today:
            reasons.append("child_dob is in the future")
        elif requested is not None and born > requested:
            reasons.append("child_dob is after request_date")
        elif age_on(born, requested or today) > MAX_AGE:
            reasons.append(f"child_dob makes the child older than {MAX_AGE} at the request")
    if requested is not None and requested > today:
        reasons.append("request_date is in the future")
    for column in AFTER_REQUEST:
        value = values[column]
        if value is not None and requested is not None and value < requested:
            reasons.append(f"{column} is before request_date")
    for column in PAST_ONLY:
        value = values[column]
        if value is not None and value > today:
            reasons.append(f"{column} is in the future")
    needed = STAGE_NEEDS.get(stage)
    if needed and raw.get(needed, "").strip() == "":
        reasons.append(f"stage {stage} needs {needed}")
    if reasons or born is None or requested is None:
        return RowProblem(line, "; ".join(reasons), reference or None)
    return CaseRow(
        line=line,
        reference=reference,
        first_name=name,
        born=born,
        stage=stage,
        request_date=requested,
        decision_date=values["decision_date"],
        draft_date=values["draft_date"],
        final_date=values["final_date"],
        last_review_date=values["last_review_date"],
        next_transfer_date=values["next_transfer_date"],
        exception=exception,
    )


def read_rows(
    handle: TextIO,
    today: date,
    progress: Progress | None = None,
    column_map: ColumnMap | None = None,
) -> tuple[list[CaseRow], list[RowProblem]]:
    """Check a whole CSV file: the valid rows, and every problem found.

    With a column map, the export's own headers are read through it (see column_map.py).
    """
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        return [], [RowProblem(1, "the file is empty: expected a header row")]
    except csv.Error as error:
        return [], [RowProblem(1, f"not readable as CSV: {error}")]
    names = [h.strip().lower() for h in header]
    problems: list[RowProblem] = []
    translator = Translator(column_map, names) if column_map else None
    if translator is not None:
        missing = translator.missing
        unknown = []
    else:
        missing = [c for c in REQUIRED if c not in names]
        unknown = [n for n in names if n not in COLUMNS]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if missing:
        problems.append(RowProblem(1, f"missing required column(s): {', '.join(missing)}"))
    if unknown:
        shown = ", ".join(repr(u[:40]) for u in unknown)
        problems.append(
            RowProblem(1, f"unknown column(s): {shown}; expected: {', '.join(COLUMNS)}")
        )
    if duplicated:
        problems.append(RowProblem(1, f"column(s) named twice: {', '.join(duplicated)}"))
    if problems:
        return [], problems
    rows: list[CaseRow] = []
    first_line: dict[str, int] = {}
    line = reader.line_num
    try:
        for fields in reader:
            line, start = reader.line_num, line + 1
            if progress is not None:
                progress(1)
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != len(names):
                problems.append(
                    RowProblem(start, f"expected {len(names)} fields, found {len(fields)}")
                )
                continue
            extra: list[str] = []
            if translator is not None:
                raw, extra = translator.translate(fields)
            else:
                raw = dict(zip(names, fields, strict=True))
            result = check_row(start, raw, today)
            if isinstance(result, RowProblem) or extra:
                reasons = [result.reason] if isinstance(result, RowProblem) else []
                reference = raw.get("case_ref", "").strip().upper()
                problems.append(
                    RowProblem(
                        start,
                        "; ".join([*reasons, *extra]),
                        reference if REFERENCE.match(reference) else None,
                    )
                )
                continue
            earlier = first_line.get(result.reference)
            if earlier is not None:
                problems.append(
                    RowProblem(
                        start, f"duplicate case_ref (first on line {earlier})", result.reference
                    )
                )
                continue
            first_line[result.reference] = start
            rows.append(result)
    except csv.Error as error:
        problems.append(RowProblem(reader.line_num, f"not readable as CSV: {error}"))
    return rows, problems


def _batches(rows: list[CaseRow], size: int = BATCH) -> Iterator[list[CaseRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class Importer:
    """Writes checked rows in one unit of work."""

    def __init__(self, uow: UnitOfWork, keyring: Keyring, texts: Texts, now: datetime) -> None:
        self.uow = uow
        self.keyring = keyring
        self.texts = texts
        self.now = now

    def row_digest(self, row: CaseRow) -> str:
        """The keyed hash that says whether a row changed since the last import."""
        return self.keyring.digest("case-row", row.canonical())

    async def apply(
        self, rows: list[CaseRow], report: ImportReport, progress: Progress | None = None
    ) -> None:
        """Create new cases, update changed ones, add events and queue stage alerts."""
        for batch in _batches(rows):
            await self._apply_batch(batch, report)
            if progress is not None:
                progress(len(batch))

    async def _apply_batch(self, batch: list[CaseRow], report: ImportReport) -> None:
        cases = self.uow.cases
        digests = {row.reference: self.row_digest(row) for row in batch}
        existing = await cases.digests_for([row.reference for row in batch])
        new = [row for row in batch if row.reference not in existing]
        changed = [
            row
            for row in batch
            if row.reference in existing and existing[row.reference][1] != digests[row.reference]
        ]
        report.unchanged += len(batch) - len(new) - len(changed)
        events: list[dict[str, Any]] = []
        if new:
            ids = await cases.insert_cases(
                [
                    {
                        "reference": row.reference,
                        "child_name": self.keyring.encrypt(row.first_name),
                        "dob_digest": dob_digest(self.keyring, row.reference, row.born.isoformat()),
                        "row_digest": digests[row.reference],
                        "created_at": self.now,
                        "updated_at": self.now,
                        **row.columns(),
                    }
                    for row in new
                ]
            )
            events += [
                {
                    "case_id": ids[row.reference],
                    "at": self.now,
                    "kind": "created",
                    "stage": row.stage,
                    "detail": {},
                }
                for row in new
            ]
            report.created += len(new)
        if events:
            await cases.insert_events(events)
        if changed:
            await self._apply_changes(changed, existing, digests, report)

    async def _apply_changes(
        self,
        changed: list[CaseRow],
        existing: dict[str, tuple[int, str]],
        digests: dict[str, str],
        report: ImportReport,
    ) -> None:
        cases = self.uow.cases
        stored = await cases.cases_by_id([existing[row.reference][0] for row in changed])
        events: list[dict[str, Any]] = []
        for row in changed:
            case = stored[existing[row.reference][0]]
            previous_stage = case.stage
            fields: list[str] = []
            for column, value in row.columns().items():
                if getattr(case, column) != value:
                    setattr(case, column, value)
                    if column != "transfer_kind":
                        fields.append(column)
            new_dob = dob_digest(self.keyring, row.reference, row.born.isoformat())
            if case.dob_digest != new_dob:
                fields.append("child_dob")
                case.dob_digest = new_dob
            try:
                same_name = self.keyring.decrypt(case.child_name) == row.first_name
            except ValueError:
                same_name = False
            if not same_name:
                fields.append("child_first_name")
                case.child_name = self.keyring.encrypt(row.first_name)
            case.row_digest = digests[row.reference]
            case.updated_at = self.now
            stage_moved = previous_stage != row.stage
            events.append(
                {
                    "case_id": case.id,
                    "at": self.now,
                    "kind": "stage" if stage_moved else "updated",
                    "stage": row.stage,
                    "previous_stage": previous_stage if stage_moved else None,
                    "detail": {"changed": sorted(fields)},
                }
            )
        report.changed += len(changed)
        await self.uow.session.flush()
        moved = [event["case_id"] for event in events if event["kind"] == "stage"]
        report.stage_changes += len(moved)
        links = await cases.links_for(moved) if moved else {}
        await cases.insert_events(
            [e for e in events if e["kind"] != "stage" or e["case_id"] not in links]
        )
        for event in events:
            case_id = event["case_id"]
            if event["kind"] != "stage" or case_id not in links:
                continue
            event_id = await cases.add_event(event)
            message = stage_alert(self.texts, case_id, stored[case_id].reference, event["stage"])
            report.alerts += await alert_links(
                self.uow,
                links[case_id],
                case_id=case_id,
                event_id=event_id,
                kind="stage",
                message=message,
                now=self.now,
            )


def open_csv(path: Path) -> TextIO:
    """Open a CSV export (UTF-8, with or without Excel's byte-order mark)."""
    return path.open("r", encoding="utf-8-sig", newline="")


def count_lines(path: Path) -> int:
    """Lines in a file, for the progress bar."""
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


async def import_cases(
    database: Database,
    keyring: Keyring,
    texts: Texts,
    path: Path,
    now: datetime,
    *,
    dry_run: bool = False,
    progress: Callable[[str, int], Progress] | None = None,
    actor: str | None = None,
    column_map: ColumnMap | None = None,
) -> ImportReport:
    """Check a CSV file and, if every row is good, apply it in one transaction.

    `progress(label, total)` may return a callback advanced as rows are checked and written.
    A dry run does everything, then rolls back. With an actor, the import is written to
    the audit log in the same transaction.
    """
    today = london_today(now)
    report = ImportReport(dry_run=dry_run)
    total = count_lines(path) if progress else 0
    try:
        handle = open_csv(path)
    except OSError as error:
        report.problems.append(RowProblem(0, f"cannot open the file: {error.strerror}"))
        return report
    with handle:
        try:
            rows, problems = read_rows(
                handle,
                today,
                progress("checking", max(total - 1, 0)) if progress else None,
                column_map,
            )
        except UnicodeDecodeError:
            rows, problems = [], [RowProblem(0, "the file is not UTF-8 text")]
    report.rows = len(rows)
    report.problems = problems
    if problems:
        return report
    async with database.unit_of_work() as uow:
        importer = Importer(uow, keyring, texts, now)
        await importer.apply(rows, report, progress("importing", len(rows)) if progress else None)
        if dry_run:
            await uow.session.rollback()
        elif actor:
            await audit.append(
                uow.session,
                keyring,
                actor=actor,
                action="cases.import",
                subject_type="cases",
                subject_id=path.name[:64],
                at=now,
                detail={
                    "rows": report.rows,
                    "created": report.created,
                    "changed": report.changed,
                    "stage_changes": report.stage_changes,
                    "alerts": report.alerts,
                },
            )
    return report
