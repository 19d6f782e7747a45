"""`sendbot cases ...`: case status: import the council's cases, issue link codes."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path
from typing import Any

import click

from sendbot.cli.context import actor, clock_from, opened_database, run_async, settings_from


class ProgressBars:
    """tqdm bars on standard error for large files (hidden when stderr is not a terminal)."""

    def __init__(self, threshold: int = 1000) -> None:
        self.threshold = threshold
        self.bars: list[Any] = []

    def __call__(self, label: str, total: int) -> Any:
        from tqdm import tqdm

        bar = tqdm(
            total=total,
            desc=label,
            unit=" rows",
            file=sys.stderr,
            leave=False,
            disable=True if total < self.threshold else None,
        )
        self.bars.append(bar)
        return bar.update

    def close(self) -> None:
        """Close every bar."""
        for bar in self.bars:
            bar.close()


@click.group("cases")
def cases() -> None:
    """Case status: import the council's cases, issue link codes."""


@cases.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report what would change; save nothing.")
@click.pass_context
def cases_import(ctx: click.Context, file: Path, dry_run: bool) -> None:
    """Import cases from a CSV export, all or nothing; changed stages alert linked parents.

    Columns: case_ref, child_first_name, child_dob, request_date, stage (required);
    decision_date, draft_date, final_date, last_review_date, next_transfer_date, exception
    (optional). Dates are YYYY-MM-DD.
    """
    from sendbot.app import build_keyring
    from sendbot.core.cases.importer import ImportReport, import_cases
    from sendbot.core.texts import Texts

    settings = settings_from(ctx)
    bars = ProgressBars()

    async def main() -> ImportReport:
        keyring = build_keyring(settings, allow_key_file=True)
        texts = Texts.load(settings.knowledge_dir / "messages.yaml")
        try:
            async with opened_database(ctx, keyring) as database:
                return await import_cases(
                    database,
                    keyring,
                    texts,
                    file,
                    clock_from(ctx)(),
                    dry_run=dry_run,
                    progress=bars,
                    actor=actor(),
                )
        finally:
            bars.close()

    report = run_async(main())
    if report.problems:
        for problem in report.problems:
            click.echo(str(problem))
        click.echo(
            f"{len(report.problems)} problem(s) found; nothing was imported. "
            "Fix the file and run the import again."
        )
        raise SystemExit(1)
    verb = "would be" if dry_run else "were"
    click.echo(
        f"{report.rows} rows checked: {report.created} new, {report.changed} changed "
        f"({report.stage_changes} stage changes), {report.unchanged} unchanged; "
        f"{report.alerts} alerts to parents {verb} queued."
    )
    if dry_run:
        click.echo("Dry run: nothing was saved.")


@cases.command("issue-code")
@click.argument("case_ref", required=False)
@click.option(
    "--all-unlinked",
    "all_unlinked",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a new code for every case no parent has linked to this new CSV file "
    "(case_ref,code,expires) for a mail merge.",
)
@click.pass_context
def cases_issue_code(ctx: click.Context, case_ref: str | None, all_unlinked: Path | None) -> None:
    """Print a new single-use link code for a case's letter (alone on the last line).

    Codes expire after SENDBOT_LINK_CODE_DAYS days and are stored only as keyed hashes.
    """
    from sendbot.app import build_keyring
    from sendbot.core import audit
    from sendbot.core.cases.issuing import IssuedCode, issue_code, issue_codes_for_unlinked
    from sendbot.core.cases.timefmt import london_today, long_date

    if (case_ref is None) == (all_unlinked is None):
        raise click.UsageError("give either CASE_REF or --all-unlinked FILE.csv")
    if all_unlinked is not None and all_unlinked.exists():
        raise click.UsageError(f"{all_unlinked} exists already; give a new file name")
    settings = settings_from(ctx)
    days = settings.link_code_days

    async def main() -> list[IssuedCode] | None:
        keyring = build_keyring(settings, allow_key_file=True)
        now = clock_from(ctx)()
        async with opened_database(ctx, keyring) as database:
            async with database.unit_of_work() as uow:
                if case_ref is not None:
                    one = await issue_code(uow, keyring, case_ref, now, days)
                    issued = [one] if one else None
                    subject = one.reference if one else ""
                else:
                    issued = await issue_codes_for_unlinked(uow, keyring, now, days)
                    subject = "unlinked"
                if issued is not None:
                    await audit.append(
                        uow.session,
                        keyring,
                        actor=actor(),
                        action="case.issue_code",
                        subject_type="case" if case_ref is not None else "cases",
                        subject_id=subject,
                        at=now,
                        detail={"codes": len(issued), "days": days},
                    )
            return issued

    issued = run_async(main())
    if issued is None:
        click.echo(f"sendbot: no case with reference {case_ref!r}", err=True)
        raise SystemExit(1)
    if all_unlinked is not None:
        descriptor = os.open(all_unlinked, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["case_ref", "code", "expires"])
            for item in issued:
                writer.writerow([item.reference, item.code, london_today(item.expires_at)])
        click.echo(
            f"{len(issued)} codes written to {all_unlinked}, valid for {days} days. "
            "The file holds codes in clear: delete it after the mail merge."
        )
        return
    item = issued[0]
    click.echo(
        f"New link code for case {item.reference}, valid until "
        f"{long_date(london_today(item.expires_at))} ({days} days). It works once."
    )
    click.echo(item.code)
