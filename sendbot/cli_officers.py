"""Command-line verbs for the officers' side: invites, the officer list, the feedback export."""

from __future__ import annotations

import csv
import io
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from sendbot.cli_cases import _actor

FEEDBACK_COLUMNS = ("reference", "received", "you_said", "we_did")


@click.group("officers")
def officers() -> None:
    """Council officers: invite them, list them."""


@officers.command("invite")
@click.option(
    "--role",
    type=click.Choice(["officer", "lead"]),
    default="officer",
    show_default=True,
    help="A lead also sees every ticket, reassigns them and gets the daily overdue list.",
)
@click.pass_context
def officers_invite(ctx: click.Context, role: str) -> None:
    """Print a single-use invite code (alone on the last line).

    The officer sends `/officer CODE` to the bot in a private chat. The code expires after
    SENDBOT_OFFICER_INVITE_DAYS days and is stored only as a keyed hash.
    """
    from sendbot.app import build_keyring, open_database
    from sendbot.cli import clock_from, run_async, settings_from
    from sendbot.core import audit
    from sendbot.core.cases.timefmt import long_time
    from sendbot.core.escalation.officers import issue_invite

    settings = settings_from(ctx)

    async def main() -> tuple[str, datetime]:
        keyring = build_keyring(settings, allow_key_file=True)
        now = clock_from(ctx)()
        database = await open_database(settings, keyring, clock_from(ctx))
        try:
            async with database.unit_of_work() as uow:
                code, expires = await issue_invite(
                    uow, keyring, role, now, settings.officer_invite_days
                )
                await audit.append(
                    uow.session,
                    keyring,
                    actor=_actor(),
                    action="officer.invite",
                    subject_type="officer",
                    subject_id="invite",
                    at=now,
                    detail={"role": role},
                )
            return code, expires
        finally:
            await database.dispose()

    code, expires = run_async(main())
    click.echo(f"Invite for one {role}, valid until {long_time(expires)}.")
    click.echo("The officer sends /officer followed by this code to the bot in a private chat:")
    click.echo(code)


@officers.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include officers who were removed.")
@click.pass_context
def officers_list(ctx: click.Context, show_all: bool) -> None:
    """List officers: number, role, first name, joined, open tickets held."""
    from sendbot.cli import clock_from, run_async, settings_from
    from sendbot.storage.db import Database

    settings = settings_from(ctx)

    async def main() -> list[dict[str, Any]]:
        database = Database(settings.database_url, clock=clock_from(ctx))
        try:
            await database.ensure_ready()
            async with database.unit_of_work() as uow:
                held = await uow.tickets.open_counts_by_officer()
                return [
                    {
                        "number": o.id,
                        "role": o.role,
                        "name": o.name or "-",
                        "joined": o.created_at.date().isoformat(),
                        "active": o.active,
                        "open": held.get(o.id, 0),
                    }
                    for o in await uow.tickets.officers(active_only=not show_all)
                ]
        finally:
            await database.dispose()

    rows = run_async(main())
    click.echo(f"{'#':>4}  {'role':<8} {'name':<20} {'joined':<10}  open  active")
    for row in rows:
        click.echo(
            f"{row['number']:>4}  {row['role']:<8} {row['name']:<20} {row['joined']:<10}  "
            f"{row['open']:>4}  {'yes' if row['active'] else 'no'}"
        )
    click.echo(f"{len(rows)} officer(s)")


@officers.command("remove")
@click.argument("number", type=int)
@click.pass_context
def officers_remove(ctx: click.Context, number: int) -> None:
    """Stop an officer using the bot; their open tickets go back to unclaimed."""
    from sendbot.app import build_keyring, open_database
    from sendbot.cli import clock_from, run_async, settings_from
    from sendbot.core import audit

    settings = settings_from(ctx)

    async def main() -> int | None:
        keyring = build_keyring(settings, allow_key_file=True)
        now = clock_from(ctx)()
        database = await open_database(settings, keyring, clock_from(ctx))
        try:
            async with database.unit_of_work() as uow:
                released = await uow.tickets.remove_officer(number)
                if released is None:
                    return None
                await audit.append(
                    uow.session,
                    keyring,
                    actor=_actor(),
                    action="officer.remove",
                    subject_type="officer",
                    subject_id=str(number),
                    at=now,
                    detail={"released": released},
                )
                return released
        finally:
            await database.dispose()

    released = run_async(main())
    if released is None:
        click.echo(f"sendbot: no officer number {number}", err=True)
        raise SystemExit(1)
    click.echo(f"Officer {number} removed; {released} open ticket(s) are unclaimed again.")


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

    from sendbot.app import build_keyring, open_database
    from sendbot.cli import clock_from, run_async, settings_from
    from sendbot.core import audit

    settings = settings_from(ctx)

    async def main() -> list[tuple[str, str, str, str]]:
        keyring = build_keyring(settings, allow_key_file=True, create=False)
        database = await open_database(settings, keyring, clock_from(ctx))
        try:
            async with database.unit_of_work() as uow:
                items = await uow.tickets.feedback(
                    since=since.replace(tzinfo=UTC) if since else None,
                    until=until.replace(tzinfo=UTC) if until else None,
                )
                await audit.append(
                    uow.session,
                    keyring,
                    actor=_actor(),
                    action="feedback.export",
                    subject_type="feedback",
                    subject_id="export",
                    at=clock_from(ctx)(),
                    detail={"count": len(items)},
                )
                return [
                    (
                        item.reference,
                        item.received_at.date().isoformat(),
                        keyring.reveal(item.text) or "",
                        keyring.reveal(item.response) or "",
                    )
                    for item in items
                    if item.text
                ]
        finally:
            await database.dispose()

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


def register(cli: click.Group) -> None:
    """Add these verbs to the main command line."""
    cli.add_command(officers)
    cli.add_command(feedback)
