"""`sendbot keys ...` and `sendbot purge`: key rotation and the retention job, by hand.

Rotating the encryption key without stopping the bot:

1. Make a new key: `sendbot keys new`.
2. If SENDBOT_HASH_KEY is not set yet, set it to the current SENDBOT_SECRET_KEY: keyed
   hashes (chat keys, link codes, dates of birth) and audit seals use it, and they cannot
   be recomputed, so that key stays as the hashing key.
3. With several bot processes, first add the new key to SENDBOT_OLD_SECRET_KEYS
   everywhere (so every process can read what the others will write). Then set
   SENDBOT_SECRET_KEY to the new key and SENDBOT_OLD_SECRET_KEYS to the old one
   (comma-separated if several), and restart the processes one by one.
4. Run `sendbot keys rotate` (batches, each its own short transaction; safe to re-run).
5. When `sendbot keys status` shows nothing under an old key, remove SENDBOT_OLD_SECRET_KEYS
   and restart again.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict

import click

from sendbot.cli.context import clock_from, opened_database, run_async, settings_from
from sendbot.core.privacy.keyview import KeyView
from sendbot.core.privacy.rotation import RotationReport


def _columns_json(report: RotationReport) -> dict[str, dict[str, int]]:
    """Counts per column, for JSON."""
    return {name: asdict(c) for name, c in report.columns.items()}


def _print_report(report: RotationReport, as_json: bool) -> None:
    """Counts per column, as a table or JSON."""
    if as_json:
        click.echo(json.dumps(_columns_json(report), indent=2))
        return
    click.echo(f"{'column':<28} {'current':>8} {'rotated':>8} {'old':>6} {'unreadable':>10}")
    for name, c in report.columns.items():
        click.echo(f"{name:<28} {c.current:>8} {c.rotated:>8} {c.old:>6} {c.unreadable:>10}")


@click.group()
def keys() -> None:
    """Encryption keys: make one, rotate to it, and see what each key still holds.

    \b
    Rotating the encryption key while the bot runs:
    1. `sendbot keys new` makes a key.
    2. If SENDBOT_HASH_KEY is unset, set it to the current SENDBOT_SECRET_KEY: keyed
       hashes and audit seals cannot be recomputed, so that secret stays as the
       hashing key (and is never shown to anyone).
    3. Several bot processes? First put the new key in SENDBOT_OLD_SECRET_KEYS
       everywhere and restart each, so every process can read it.
       Then set SENDBOT_SECRET_KEY to the new key and SENDBOT_OLD_SECRET_KEYS to the
       old one (comma-separated if several), and restart each process again.
    4. `sendbot keys rotate` re-encrypts in small transactions (safe to re-run).
    5. When `sendbot keys status` says so, remove SENDBOT_OLD_SECRET_KEYS and restart.
    """


@keys.command("new")
def keys_new() -> None:
    """Print a fresh random key for SENDBOT_SECRET_KEY or SENDBOT_HASH_KEY."""
    click.echo(secrets.token_urlsafe(32))


async def _rotation(
    ctx: click.Context, batch: int, dry_run: bool
) -> tuple[RotationReport, str, KeyView | None]:
    """Rotate (or only count); the report, a problem that stopped it, and the keys."""
    from sendbot.core.privacy.fingerprints import (
        KeyMismatch,
        check_keys,
        recorded_keys,
    )
    from sendbot.core.privacy.keys import keyring_from_settings
    from sendbot.core.privacy.rotation import hashes_match, rotate_keys

    keyring = keyring_from_settings(settings_from(ctx))
    async with opened_database(ctx) as database:
        async with database.unit_of_work() as uow:
            view = KeyView(keyring, await recorded_keys(uow))
        checked, matching = await hashes_match(database, keyring)
        if checked and not matching:
            return (
                RotationReport(),
                (
                    "the hashing key has changed: stored chat keys no longer match. Set "
                    "SENDBOT_HASH_KEY to the secret key that was in use before (see "
                    "`sendbot keys --help`); nothing was changed."
                ),
                view,
            )
        try:
            await check_keys(database, keyring, clock_from(ctx)())
        except KeyMismatch as error:
            return RotationReport(), str(error), view
        report = await rotate_keys(database, keyring, batch=batch, dry_run=dry_run)
        async with database.unit_of_work() as uow:
            view = KeyView(keyring, await recorded_keys(uow))
        return report, "", view


@keys.command("rotate")
@click.option("--batch", default=500, show_default=True, help="Rows per transaction.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def keys_rotate(ctx: click.Context, batch: int, as_json: bool) -> None:
    """Re-encrypt every encrypted value under SENDBOT_SECRET_KEY, while the bot runs.

    Set SENDBOT_SECRET_KEY to the new key and SENDBOT_OLD_SECRET_KEYS to the old ones
    first; exits 1 if any value cannot be read with the keys given.
    """
    report, problem, _ = run_async(_rotation(ctx, batch, dry_run=False))
    if problem:
        click.echo(f"sendbot: {problem}", err=True)
        raise SystemExit(2)
    _print_report(report, as_json)
    if report.unreadable:
        click.echo(
            f"{report.unreadable} values cannot be read with the keys given: keep the old "
            "key in SENDBOT_OLD_SECRET_KEYS and find which key made them.",
            err=True,
        )
        raise SystemExit(1)
    if not as_json:
        click.echo(f"re-encrypted {report.rotated} values; nothing is left under an old key")


@keys.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def keys_status(ctx: click.Context, as_json: bool) -> None:
    """Count values under the newest key, older keys, and none (changes nothing)."""
    report, problem, view = run_async(_rotation(ctx, 500, dry_run=True))
    if as_json:
        keys_json = view.as_json() if view else {}
        click.echo(json.dumps({"keys": keys_json, "columns": _columns_json(report)}, indent=2))
    elif view is not None:
        for line in view.lines():
            click.echo(line)
    if problem:
        click.echo(f"sendbot: {problem}", err=True)
        raise SystemExit(2)
    if as_json:
        return
    _print_report(report, as_json=False)
    verdict = (
        "safe to drop the old keys"
        if not report.old and not report.unreadable
        else "run `sendbot keys rotate` before dropping any old key"
    )
    click.echo(verdict)


@keys.command("reindex")
@click.pass_context
def keys_reindex(ctx: click.Context) -> None:
    """Rebuild the inbox's search index (keyed hashes of words) from the tickets' texts.

    Run once after upgrading to the release that added search; safe to re-run.
    """
    from sendbot.core.escalation.reindex import rebuild_terms
    from sendbot.core.privacy.fingerprints import KeyMismatch, check_keys
    from sendbot.core.privacy.keys import keyring_from_settings

    keyring = keyring_from_settings(settings_from(ctx))

    async def main() -> int:
        async with opened_database(ctx) as database:
            await check_keys(database, keyring, clock_from(ctx)())
            return await rebuild_terms(database, keyring)

    try:
        count = run_async(main())
    except KeyMismatch as error:
        click.echo(f"sendbot: {error}", err=True)
        raise SystemExit(2) from error
    click.echo(f"search index rebuilt for {count} tickets")


@click.command("purge")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def purge(ctx: click.Context, as_json: bool) -> None:
    """Run the retention job once: delete or empty everything past its time."""
    from sendbot.core.privacy.retention import PurgeReport, purge_expired

    settings = settings_from(ctx)
    clock = clock_from(ctx)

    async def main() -> PurgeReport:
        async with opened_database(ctx) as database:
            return await purge_expired(database, settings, clock())

    report = run_async(main())
    if as_json:
        click.echo(json.dumps(asdict(report)))
        return
    for name, count in asdict(report).items():
        click.echo(f"{name.replace('_', ' ')}: {count}")
