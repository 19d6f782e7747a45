"""`sendbot cases import`: the council's CSV export in, all or nothing.

Every row is checked before anything is written; one bad row stops the whole import and
every bad row is reported by line number and reason (never with the child's name or date of
birth). A row whose content is unchanged writes nothing, so importing the same file twice
changes nothing; a changed row updates its case and adds an event, and a changed stage
queues an alert to each linked parent in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sendbot.core import audit
from sendbot.core.cases.alerts import alert_links, stage_alert
from sendbot.core.cases.codes import dob_digest
from sendbot.core.cases.csv_rows import (
    CaseRow,
    Progress,
    RowProblem,
    count_lines,
    open_csv,
    read_rows,
)
from sendbot.core.cases.timefmt import london_today
from sendbot.core.keyring import Keyring
from sendbot.kb.texts import Texts
from sendbot.storage.db import Database
from sendbot.storage.unit_of_work import UnitOfWork

BATCH = 1000


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
                handle, today, progress("checking", max(total - 1, 0)) if progress else None
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
