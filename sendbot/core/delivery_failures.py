"""What happens to a message the outbox gave up on: nobody is left without a word.

A message for officers, or an officer's message to a family, is reported to the officers'
group (its kind and Telegram's reason, never its text); a reply to a parent is followed by
the plain apology, so the parent knows to ask again. Either report is itself an outbox
message; one that fails in turn is only logged (by kind), so reports never loop.
"""

from __future__ import annotations

from sendbot.core.messages import Outbound
from sendbot.core.officers_group import queue_to_officers_group
from sendbot.core.outbox import GiveUp, enqueue
from sendbot.core.replies import REPLY
from sendbot.core.services import Services
from sendbot.storage.models import OutboxMessage
from sendbot.storage.unit_of_work import UnitOfWork

REPORT, APOLOGY = "delivery-failed", "apology"
OFFICERS_BUSINESS = (
    "officers-reply", "relay", "ticket-parent", "ticket-officer", "ticket-group",
    "ticket-digest", "security-alert",
)  # fmt: skip


def reporter(services: Services) -> GiveUp:
    """The outbox's `on_give_up` for these services."""

    async def report(uow: UnitOfWork, row: OutboxMessage) -> None:
        await report_failure(uow, services, row)

    return report


async def report_failure(uow: UnitOfWork, services: Services, row: OutboxMessage) -> None:
    """Tell the officers or the parent that a message was given up (see the module)."""
    if row.kind in OFFICERS_BUSINESS:
        texts = services.texts
        html = texts.get(
            "delivery.failed_for_officers",
            what=texts.get(f"delivery.what.{row.kind}"),
            attempts=row.attempts,
            reason=row.last_error or "no answer",
        )
        await queue_to_officers_group(
            uow, services, Outbound(html), dedupe_key=f"{REPORT}:{row.id}", kind=REPORT
        )
    elif row.kind == REPLY:
        await enqueue(
            uow,
            dedupe_key=f"{APOLOGY}:{row.id}",
            channel=row.channel,
            chat_ref=row.chat_ref,
            message=Outbound(services.texts.get("error")),
            kind=APOLOGY,
        )
