"""`sendbot notify ...`: GOV.UK Notify alerts for parents without Telegram."""

from __future__ import annotations

import click

from sendbot.cli.context import clock_from, opened_database, run_async, settings_from


@click.group("notify")
def notify() -> None:
    """GOV.UK Notify: alerts by e-mail and text message for parents without Telegram."""


@notify.command("deliver")
@click.pass_context
def notify_deliver(ctx: click.Context) -> None:
    """Send the e-mail and text message alerts that are due (run it every few minutes)."""
    from sendbot.adapters.notify import GovNotify, NotifyNotConfigured
    from sendbot.app import build_keyring
    from sendbot.core.notifier import CHANNELS, NotifierSender
    from sendbot.core.outbox import DeliveryReport, deliver_due

    settings = settings_from(ctx)
    try:
        notifier = GovNotify(settings)
    except NotifyNotConfigured as error:
        raise click.UsageError(str(error)) from error

    async def main() -> list[DeliveryReport]:
        keyring = build_keyring(settings, allow_key_file=True)
        async with opened_database(ctx, keyring) as database:
            return [
                await deliver_due(
                    database, keyring, NotifierSender(notifier, channel), clock_from(ctx)()
                )
                for channel in CHANNELS
            ]

    for channel, report in zip(CHANNELS, run_async(main()), strict=True):
        click.echo(
            f"{channel}: {report.sent} sent, {report.retried} to retry, "
            f"{report.failed} failed, {report.gone} undelivered"
        )
