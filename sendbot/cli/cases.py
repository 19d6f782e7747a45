"""`sendbot cases ...`: case status: import the council's cases, issue link codes, figures."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path
from typing import Any

import click

from sendbot.cli.context import (
    actor,
    clock_from,
    knowledge_from,
    opened_database,
    run_async,
    settings_from,
)
from sendbot.config import Settings
from sendbot.core.notifier import Channel, normalise_contact


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


def _pack_map(settings: Settings, file: Path) -> Path | None:
    """The local pack's column map, when the file lacks the usual columns and one exists."""
    from sendbot.core.cases.column_map import IMPORT_MAP
    from sendbot.core.cases.csv_rows import REQUIRED, open_csv

    if not settings.council:
        return None
    found = settings.knowledge_dir / "local" / settings.council / IMPORT_MAP
    try:
        with open_csv(file) as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None  # the import itself reports the problem
    names = {h.strip().lower() for h in header}
    if all(c in names for c in REQUIRED) or not found.is_file():
        return None
    return found


@cases.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report what would change; save nothing.")
@click.option(
    "--map",
    "map_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A column map (YAML) for another export's headers; without it, a file without "
    "the usual columns is read with the local pack's import-map.yaml, if it has one.",
)
@click.pass_context
def cases_import(ctx: click.Context, file: Path, dry_run: bool, map_file: Path | None) -> None:
    """Import cases from a CSV export, all or nothing; changed stages alert linked parents.

    Columns: case_ref, child_first_name, child_dob, request_date, stage (required);
    decision_date, draft_date, final_date, last_review_date, next_transfer_date, exception
    (optional). Dates are YYYY-MM-DD. Other exports (such as a person-level SEN2 extract)
    are read through a column map: see the README.
    """
    from sendbot.app import build_keyring
    from sendbot.core.cases.column_map import MapError, load_map
    from sendbot.core.cases.importer import ImportReport, import_cases
    from sendbot.kb.texts import Texts

    settings = settings_from(ctx)
    chosen = map_file or _pack_map(settings, file)
    try:
        column_map = load_map(chosen) if chosen else None
    except MapError as error:
        raise click.UsageError(str(error)) from error
    if column_map is not None:
        click.echo(f"Reading the file with the column map {column_map.name!r} ({chosen}).")
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
                    column_map=column_map,
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
@click.option("--email", help="Send the code to this e-mail address by GOV.UK Notify.")
@click.option("--sms", help="Send the code to this UK mobile number by GOV.UK Notify.")
@click.option(
    "--alerts",
    is_flag=True,
    help="With --email or --sms: keep that contact (encrypted) for the case's alerts.",
)
@click.pass_context
def cases_issue_code(
    ctx: click.Context,
    case_ref: str | None,
    all_unlinked: Path | None,
    email: str | None,
    sms: str | None,
    alerts: bool,
) -> None:
    """Print a new single-use link code for a case's letter (alone on the last line).

    Codes expire after SENDBOT_LINK_CODE_DAYS days and are stored only as keyed hashes.
    With --email or --sms the code is sent by GOV.UK Notify instead of printed, for a
    parent without Telegram (who links in the web chat); --alerts also keeps the contact,
    encrypted, so that the case's alerts reach it (`sendbot notify deliver` sends them).
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
    contact = _contact_asked(email, sms, alerts, case_ref)
    if contact is not None:
        _send_code(ctx, settings, str(case_ref), contact, alerts)
        return

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


def _contact_asked(
    email: str | None, sms: str | None, alerts: bool, case_ref: str | None
) -> tuple[Channel, str] | None:
    """The channel and normalised contact asked for, or None to print the code."""
    if email and sms:
        raise click.UsageError("give --email or --sms, not both")
    if not (email or sms):
        if alerts:
            raise click.UsageError("--alerts needs --email or --sms")
        return None
    if case_ref is None:
        raise click.UsageError("--email and --sms send one case's code: give CASE_REF")
    channel: Channel = "email" if email else "sms"
    found = normalise_contact(channel, str(email or sms))
    if found is None:
        what = "an e-mail address" if email else "a UK mobile number"
        raise click.UsageError(f"that is not {what}")
    return channel, found


def _send_code(
    ctx: click.Context,
    settings: Settings,
    case_ref: str,
    contact: tuple[Channel, str],
    alerts: bool,
) -> None:
    """Issue a code and send it by Notify (the contact is never printed)."""
    from sendbot.adapters.notify import GovNotify, NotifyNotConfigured
    from sendbot.app import build_keyring
    from sendbot.core.cases.code_by_notify import send_code
    from sendbot.core.outbox import RecipientGone, TemporaryFailure

    channel, address = contact
    try:
        notifier = GovNotify(settings)
        notifier.template_id(channel, "code")
        if alerts:
            notifier.template_id(channel, "alert")
    except NotifyNotConfigured as error:
        raise click.UsageError(str(error)) from error
    council = knowledge_from(ctx).council_name

    async def main() -> bool:
        keyring = build_keyring(settings, allow_key_file=True)
        async with opened_database(ctx, keyring) as database:
            issued = await send_code(
                database,
                keyring,
                notifier,
                reference=case_ref,
                channel=channel,
                contact=address,
                council=council,
                now=clock_from(ctx)(),
                days=settings.link_code_days,
                alerts=alerts,
                actor=actor(),
            )
        return issued is not None

    try:
        found = run_async(main())
    except (RecipientGone, TemporaryFailure) as error:  # nothing was saved: no code exists
        click.echo(
            f"sendbot: GOV.UK Notify did not take the message ({error}); no code was issued.",
            err=True,
        )
        raise SystemExit(1) from None
    if not found:
        click.echo(f"sendbot: no case with reference {case_ref!r}", err=True)
        raise SystemExit(1)
    where = "e-mail" if channel == "email" else "text message"
    click.echo(f"New link code for case {case_ref.upper()} sent by {where} through GOV.UK Notify.")
    if alerts:
        click.echo(f"The case's alerts will also go by {where} (`sendbot notify deliver`).")


@cases.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
def cases_stats(ctx: click.Context, as_json: bool) -> None:
    """How the council is doing, from the imported cases (management information).

    The share of final plans issued within 20 weeks this calendar year, with and without
    the reg 10(4) exceptions, the median weeks from request to final plan, the requests
    waiting now, the date of the import, and the official figure from the local pack.
    Counts from 1 to 4 are suppressed.
    """
    import json

    from sendbot.app import build_keyring
    from sendbot.core.cases.stats import CouncilStats, council_stats
    from sendbot.core.cases.stats_text import stats_text
    from sendbot.core.cases.timefmt import london_today
    from sendbot.core.formatting import html_to_plain
    from sendbot.kb.texts import Texts

    settings = settings_from(ctx)

    async def main() -> CouncilStats:
        keyring = build_keyring(settings, allow_key_file=True)
        async with opened_database(ctx, keyring) as database, database.unit_of_work() as uow:
            return await council_stats(uow, london_today(clock_from(ctx)()))

    stats = run_async(main())
    kb = knowledge_from(ctx)
    if as_json:
        data = stats.as_dict()
        figure = kb.council.timeliness if kb.council else None
        data["official"] = figure.model_dump(mode="json") if figure else None
        click.echo(json.dumps(data, indent=2))
        return
    texts = Texts.load(settings.knowledge_dir / "messages.yaml")
    click.echo(html_to_plain(stats_text(texts, kb, stats)))
