"""The council's CSV export of cases, read and checked row by row before anything is saved.

Every bad row is reported by line number and reason, never with the child's name or date
of birth; `importer.py` applies the rows only when the whole file is good.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from sendbot.core.cases.deadlines import STAGES, age_on, transfer_kind

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
    handle: TextIO, today: date, progress: Progress | None = None
) -> tuple[list[CaseRow], list[RowProblem]]:
    """Check a whole CSV file: the valid rows, and every problem found."""
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        return [], [RowProblem(1, "the file is empty: expected a header row")]
    except csv.Error as error:
        return [], [RowProblem(1, f"not readable as CSV: {error}")]
    names = [h.strip().lower() for h in header]
    problems: list[RowProblem] = []
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
            result = check_row(start, dict(zip(names, fields, strict=True)), today)
            if isinstance(result, RowProblem):
                problems.append(result)
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


def open_csv(path: Path) -> TextIO:
    """Open a CSV export (UTF-8, with or without Excel's byte-order mark)."""
    return path.open("r", encoding="utf-8-sig", newline="")


def count_lines(path: Path) -> int:
    """Lines in a file, for the progress bar."""
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
