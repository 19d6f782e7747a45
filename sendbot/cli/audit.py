"""`sendbot audit ...`: the audit log of officer access."""

from __future__ import annotations

import json
from typing import Any

import click

from sendbot.cli.context import opened_database, run_async, settings_from


@click.group()
def audit() -> None:
    """Audit log of officer access: verify the chain, show records."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Check the hash chain; exit 1 naming the first bad row."""
    from sendbot.app import build_keyring
    from sendbot.core.audit import verify

    settings = settings_from(ctx)

    async def main() -> int:
        keyring = build_keyring(settings, allow_key_file=True, create=False)
        async with opened_database(ctx, keyring) as database, database.unit_of_work() as uow:
            verdict = await verify(uow.session, keyring)
        if verdict.ok:
            click.echo(f"audit log intact: {verdict.checked} records")
            return 0
        click.echo(
            f"audit log damaged at record {verdict.bad_id}: {verdict.reason} "
            f"({verdict.checked} records verified before it)"
        )
        return 1

    raise SystemExit(run_async(main()))


@audit.command("show")
@click.option("--officer", help="Only this officer's records.")
@click.option("--ticket", help="Only records about this ticket reference.")
@click.option("--case", "case_ref", help="Only records about this case reference.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this date (UTC).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Up to this date (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.pass_context
def audit_show(
    ctx: click.Context,
    officer: str | None,
    ticket: str | None,
    case_ref: str | None,
    since: Any,
    until: Any,
    as_json: bool,
) -> None:
    """Show audit records, filtered by officer, ticket, case or date."""
    from sendbot.core.audit import search

    subject_type = "ticket" if ticket else "case" if case_ref else None

    async def main() -> list[dict[str, Any]]:
        async with opened_database(ctx, migrate=False) as database, database.unit_of_work() as uow:
            rows = await search(
                uow.session,
                actor=officer,
                subject_type=subject_type,
                subject_id=ticket or case_ref,
                since=since.date() if since else None,
                until=until.date() if until else None,
            )
        return [
            {
                "id": r.id,
                "at": r.at.isoformat(timespec="seconds"),
                "actor": r.actor,
                "action": r.action,
                "subject": f"{r.subject_type}:{r.subject_id}",
                "detail": r.detail,
            }
            for r in rows
        ]

    for record in run_async(main()):
        if as_json:
            click.echo(json.dumps(record))
        else:
            click.echo(
                f"{record['id']:>6}  {record['at']}  {record['actor']:<16} "
                f"{record['action']:<20} {record['subject']}"
            )
