"""Retention: what is deleted when, run daily by the bot and once by `sendbot purge`.

- idle conversation state: after `state_idle_days` (30) without a message;
- knowledge-gap questions (already redacted): after `gap_days` (90);
- delivered, failed or undeliverable outgoing messages: after `outbox_days` (30);
- failed case-link attempts: after seven days;
- closed tickets' content: `closed_ticket_days` after closing, the period the council
  sets (the emptied rows stay, so counts and service figures remain).
Each step is its own short transaction, so a purge never holds the database for long.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from sendbot.config import Settings
from sendbot.core.answers.gaps import purge_gaps
from sendbot.core.cases.alerts import FAILURE_RETENTION
from sendbot.storage.db import Database
from sendbot.storage.models import OutboxMessage, SecurityFailure
from sendbot.storage.rate_counters import purge_ended_counters

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeReport:
    """How many of each kind of record went."""

    conversations: int = 0
    knowledge_gaps: int = 0
    outbox_messages: int = 0
    link_failures: int = 0
    tickets_emptied: int = 0
    invite_failures: int = 0
    rate_counters: int = 0

    @property
    def total(self) -> int:
        """Everything removed or emptied."""
        return (
            self.conversations
            + self.knowledge_gaps
            + self.outbox_messages
            + self.link_failures
            + self.tickets_emptied
            + self.invite_failures
            + self.rate_counters
        )


async def purge_closed_ticket_content(database: Database, now: datetime, days: int) -> int:
    """Erase the content of tickets closed more than `days` days ago; counts are kept."""
    async with database.unit_of_work() as uow:
        return await uow.parent_records.strip_closed_before(now - timedelta(days=days), at=now)


async def purge_expired(database: Database, settings: Settings, now: datetime) -> PurgeReport:
    """Delete or empty everything past its retention period."""
    async with database.unit_of_work() as uow:
        conversations = await uow.conversations.purge_idle(
            now - timedelta(days=settings.state_idle_days)
        )
    gaps = await purge_gaps(database, now, settings.gap_days)
    async with database.unit_of_work() as uow:
        result = await uow.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status != "pending",
                OutboxMessage.created_at < now - timedelta(days=settings.outbox_days),
            )
        )
        outbox = int(getattr(result, "rowcount", 0) or 0)
    async with database.unit_of_work() as uow:
        failures = await uow.cases.purge_failures(now - FAILURE_RETENTION)
        gone = delete(SecurityFailure).where(SecurityFailure.at < now - FAILURE_RETENTION)
        invites = int(getattr(await uow.session.execute(gone), "rowcount", 0) or 0)
    tickets = await purge_closed_ticket_content(database, now, settings.closed_ticket_days)
    counters = await purge_ended_counters(database, now)
    report = PurgeReport(conversations, gaps, outbox, failures, tickets, invites, counters)
    log.info(
        "retention: %d conversations, %d gap questions, %d messages, %d link failures, "
        "%d invite failures, %d ended rate counters deleted; %d closed tickets emptied",
        report.conversations,
        report.knowledge_gaps,
        report.outbox_messages,
        report.link_failures,
        report.invite_failures,
        report.rate_counters,
        report.tickets_emptied,
    )
    return report
