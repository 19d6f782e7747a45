"""Command-line verbs for GOV.UK Notify: codes sent by e-mail or text, and alert delivery."""

from __future__ import annotations

import click

from sendbot.cli_cases import _actor as actor
from sendbot.config import Settings
from sendbot.core.notifier import Channel, normalise_contact


def contact_asked(
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


def issue_and_send(
    ctx: click.Context,
    settings: Settings,
    case_ref: str,
    contact: tuple[Channel, str],
    alerts: bool,
) -> None:
    """Issue a code and send it by Notify; with alerts, keep the contact for the case."""
    from sendbot.adapters.notify import GovNotify, NotifyNotConfigured
    from sendbot.app import build_keyring, open_database
    from sendbot.cli import clock_from, run_async
    from sendbot.core import audit
    from sendbot.core.cases.issuing import issue_code
    from sendbot.core.cases.timefmt import london_today, long_date
    from sendbot.core.notifier import keep_for_alerts
    from sendbot.core.outbox import RecipientGone, TemporaryFailure
    from sendbot.kb.loader import load_knowledge

    channel, address = contact
    try:
        notifier = GovNotify(settings)
        notifier.template_id(channel, "code")
        if alerts:
            notifier.template_id(channel, "alert")
    except NotifyNotConfigured as error:
        raise click.UsageError(str(error)) from error
    council = load_knowledge(settings.knowledge_dir, settings.council).council_name

    async def main() -> bool:
        keyring = build_keyring(settings, allow_key_file=True)
        now = clock_from(ctx)()
        database = await open_database(settings, keyring, clock_from(ctx))
        try:
            async with database.unit_of_work() as uow:
                issued = await issue_code(uow, keyring, case_ref, now, settings.link_code_days)
                if issued is None:
                    return False
                await notifier.send(
                    channel,
                    address,
                    "code",
                    {
                        "code": issued.code,
                        "expires": long_date(london_today(issued.expires_at)),
                        "council": council,
                    },
                )
                case = await uow.cases.by_reference(issued.reference)
                assert case is not None
                kept = alerts and await keep_for_alerts(
                    uow, keyring, case.id, channel, address, now
                )
                await audit.append(
                    uow.session,
                    keyring,
                    actor=actor(),
                    action="case.issue_code",
                    subject_type="case",
                    subject_id=issued.reference,
                    at=now,
                    detail={"codes": 1, "sent_by": channel, "kept_for_alerts": bool(kept)},
                )
            return True
        finally:
            await database.dispose()

    try:
        found = run_async(main())
    except (RecipientGone, TemporaryFailure) as error:  # nothing was saved: the code is void
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


@click.group("notify")
def notify() -> None:
    """GOV.UK Notify: alerts by e-mail and text message for parents without Telegram."""


@notify.command("deliver")
@click.pass_context
def notify_deliver(ctx: click.Context) -> None:
    """Send the e-mail and text message alerts that are due (run it every few minutes)."""
    from sendbot.adapters.notify import GovNotify, NotifyNotConfigured
    from sendbot.app import build_keyring, open_database
    from sendbot.cli import clock_from, run_async
    from sendbot.core.notifier import CHANNELS, NotifierSender
    from sendbot.core.outbox import DeliveryReport, deliver_due

    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    try:
        notifier = GovNotify(settings)
    except NotifyNotConfigured as error:
        raise click.UsageError(str(error)) from error

    async def main() -> list[DeliveryReport]:
        keyring = build_keyring(settings, allow_key_file=True)
        database = await open_database(settings, keyring, clock_from(ctx))
        try:
            return [
                await deliver_due(
                    database, keyring, NotifierSender(notifier, channel), clock_from(ctx)()
                )
                for channel in CHANNELS
            ]
        finally:
            await database.dispose()

    for channel, report in zip(CHANNELS, run_async(main()), strict=True):
        click.echo(
            f"{channel}: {report.sent} sent, {report.retried} to retry, "
            f"{report.failed} failed, {report.gone} undelivered"
        )


def register(cli: click.Group) -> None:
    """Add the notify verbs to the main command group."""
    cli.add_command(notify)
