"""`sendbot officers ...`: council officers: invite or add them, list them, remove them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from sendbot.cli.context import actor, clock_from, opened_database, run_async, settings_from


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
    from sendbot.app import build_keyring
    from sendbot.core import audit
    from sendbot.core.cases.timefmt import long_time
    from sendbot.core.escalation.officers import issue_invite

    settings = settings_from(ctx)

    async def main() -> tuple[str, datetime]:
        keyring = build_keyring(settings, allow_key_file=True)
        now = clock_from(ctx)()
        async with opened_database(ctx, keyring) as database:
            async with database.unit_of_work() as uow:
                code, expires = await issue_invite(
                    uow, keyring, role, now, settings.officer_invite_days
                )
                await audit.append(
                    uow.session,
                    keyring,
                    actor=actor(),
                    action="officer.invite",
                    subject_type="officer",
                    subject_id="invite",
                    at=now,
                    detail={"role": role},
                )
            return code, expires

    code, expires = run_async(main())
    click.echo(f"Invite for one {role}, valid until {long_time(expires)}.")
    click.echo("The officer sends /officer followed by this code to the bot in a private chat:")
    click.echo(code)


@officers.command("add")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["officer", "lead"]),
    default="officer",
    show_default=True,
    help="A lead also sees every ticket, assigns them, and reads reports and the audit log.",
)
@click.pass_context
def officers_add(ctx: click.Context, email: str, role: str) -> None:
    """Give an officer a console account; print its set-up link (alone on the last line).

    The link works once, for SENDBOT_CONSOLE_SETUP_HOURS hours, and starts with
    SENDBOT_CONSOLE_URL. Running this again for the same e-mail issues a new link (to
    reset a lost password or authenticator) and sets the role.
    """
    from sendbot.app import build_keyring
    from sendbot.core.accounts.accounts import add_account
    from sendbot.core.cases.timefmt import long_time

    settings = settings_from(ctx)

    async def main() -> tuple[str, datetime, int]:
        keyring = build_keyring(settings, allow_key_file=True)
        now = clock_from(ctx)()
        async with opened_database(ctx, keyring) as database, database.unit_of_work() as uow:
            link = await add_account(uow, keyring, settings, now, email, role, actor())
            return link.url, link.expires_at, link.officer_id

    try:
        url, expires, number = run_async(main())
    except ValueError as error:
        click.echo(f"sendbot: {error}", err=True)
        raise SystemExit(2) from None
    click.echo(f"Console account for officer {number} ({role}), set-up link valid until")
    click.echo(f"{long_time(expires)}. Send it to them privately; it works once:")
    click.echo(url)


@officers.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include officers who were removed.")
@click.pass_context
def officers_list(ctx: click.Context, show_all: bool) -> None:
    """List officers: number, role, first name, joined, open tickets held."""

    async def main() -> list[dict[str, Any]]:
        async with opened_database(ctx) as database, database.unit_of_work() as uow:
            held = await uow.officers.open_counts()
            return [
                {
                    "number": o.id,
                    "role": o.role,
                    "name": o.name or "-",
                    "joined": o.created_at.date().isoformat(),
                    "active": o.active,
                    "open": held.get(o.id, 0),
                }
                for o in await uow.officers.all(active_only=not show_all)
            ]

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
    from sendbot.app import build_keyring
    from sendbot.core.escalation.officers import remove

    settings = settings_from(ctx)

    async def main() -> int | None:
        keyring = build_keyring(settings, allow_key_file=True)
        now = clock_from(ctx)()
        async with opened_database(ctx, keyring) as database, database.unit_of_work() as uow:
            return await remove(uow, keyring, number, actor(), now)

    released = run_async(main())
    if released is None:
        click.echo(f"sendbot: no officer number {number}", err=True)
        raise SystemExit(1)
    click.echo(f"Officer {number} removed; {released} open ticket(s) are unclaimed again.")
