"""`sendbot feedback export`: the Local Offer's "you said, we did" list."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

import click

from sendbot.cli.context import actor, clock_from, opened_database, run_async, settings_from

FEEDBACK_COLUMNS = ("reference", "received", "you_said", "we_did")


@click.group("feedback")
def feedback() -> None:
    """Local Offer feedback: export the "you said, we did" list."""


@feedback.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), default="-")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this date (UTC).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Before this date (UTC).")
@click.pass_context
def feedback_export(ctx: click.Context, file: Path, since: Any, until: Any) -> None:
    """Write the "you said" list as CSV (reference, received, you_said, we_did) to FILE or -.

    Texts were redacted when received (names, numbers, addresses removed); the list is
    what the council publishes about its Local Offer.
    """
    from datetime import UTC

    from sendbot.app import build_keyring
    from sendbot.core.escalation.service import feedback as offer_feedback

    settings = settings_from(ctx)

    async def main() -> list[tuple[str, str, str, str]]:
        keyring = build_keyring(settings, allow_key_file=True, create=False)
        async with opened_database(ctx, keyring) as database, database.unit_of_work() as uow:
            items = await offer_feedback.export(
                uow,
                keyring,
                clock_from(ctx)(),
                actor(),
                since=since.replace(tzinfo=UTC) if since else None,
                until=until.replace(tzinfo=UTC) if until else None,
            )
        return [
            (item.reference, item.received.date().isoformat(), item.you_said, item.we_did)
            for item in items
        ]

    rows = run_async(main())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FEEDBACK_COLUMNS)
    writer.writerows(rows)
    if str(file) == "-":
        sys.stdout.write(buffer.getvalue())
    else:
        file.write_text(buffer.getvalue(), encoding="utf-8")
        click.echo(f"{len(rows)} item(s) written to {file}", err=True)
