"""A turn's replies through the outbox: saved in the turn's own transaction, then sent.

`keep` runs inside the turn's transaction: each reply becomes an outbox row, so the update
is never recorded as handled without its replies, and a redelivered update (answered by
nothing, as it was handled) loses none. The rows are written leased (due only after LEASE),
so the outbox job leaves them to `send_kept`, which sends them at once after the commit,
retries a failure or two quickly (tenacity), and records what happened in one more
transaction: sent rows are deleted (a turn's replies are not kept once delivered), a
recipient who is gone is marked, and anything else is left to the outbox job's backoff. If
the process dies meanwhile, the job sends the rows still there when their lease ends: a
reply is never lost, and only those of the turn being sent when the process died may
arrive twice.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, insert, update
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random,
)

from sendbot.core.keyring import Keyring
from sendbot.core.messages import EPHEMERAL, Audience, Outbound
from sendbot.core.outbox import (
    RecipientGone,
    Sender,
    TemporaryFailure,
    backoff,
    row_values,
)
from sendbot.storage.db import Database
from sendbot.storage.faults import Fault, fault_of
from sendbot.storage.models import OutboxMessage
from sendbot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # the outbox job leaves a kept reply alone this long
QUICK_ATTEMPTS = 2  # tries at once before a failure is left to the outbox's backoff
QUICK_WAIT_MAX_S = 1.0
OUTBOX_ID = "outbox_id"  # an Outbound's meta keys, in memory only: its row, its chat
TO = "to"
# Kinds of kept replies: to the person who wrote, to the officers' group, to another chat
# (an officer's answer relayed to a parent). The last two are officers' business.
REPLY, TO_OFFICERS, RELAY = "reply", "officers-reply", "relay"

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]

# Where a reply goes, as the channel's chat id, or None when it has nowhere to go.
Address = Callable[[Outbound], str | None]


@dataclass
class SendReport:
    """What sending one turn's kept replies did."""

    sent: list[int] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)
    later: dict[int, TemporaryFailure] = field(default_factory=dict)


def kind_of(reply: Outbound) -> str:
    """The outbox kind of a reply, by whom it is for."""
    if reply.audience is Audience.OFFICERS:
        return TO_OFFICERS
    return RELAY if reply.chat_id else REPLY


async def keep(
    uow: UnitOfWork,
    keyring: Keyring,
    channel: str,
    update_id: int | None,
    replies: Sequence[Outbound],
    address: Address,
    now: datetime,
) -> list[Outbound]:
    """Save each reply to the outbox in this transaction; return them marked for send_kept.

    An ephemeral reply (a letter) is never written: it is returned to be sent once, as is.
    """
    turn = str(update_id) if update_id is not None else secrets.token_hex(8)
    values: list[dict[str, Any]] = []
    addressed: list[Outbound] = []
    for index, reply in enumerate(replies):
        target = address(reply)
        if target is None:
            continue
        addressed.append(replace(reply, meta={**reply.meta, TO: target}))
        if reply.meta.get(EPHEMERAL):
            continue
        key = f"turn:{channel}:{turn}:{index}"
        row = row_values(key, channel, keyring.encrypt(target), reply, kind_of(reply), keyring)
        row["next_attempt_at"] = now + LEASE
        values.append(row)
    if not values:
        return addressed
    # One INSERT for them all, ids in the rows' order (no ORM objects: a turn's hot path).
    statement = insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True)
    ids = iter((await uow.session.execute(statement, values)).scalars().all())
    return [
        reply
        if reply.meta.get(EPHEMERAL)
        else replace(reply, meta={**reply.meta, OUTBOX_ID: str(next(ids))})
        for reply in addressed
    ]


def _quickly_retried(error: BaseException) -> bool:
    """A failure worth one more try at once: not flood control asking for a long wait."""
    return isinstance(error, TemporaryFailure) and (error.retry_after or 0) <= QUICK_WAIT_MAX_S


async def _send(sender: Sender, target: str, reply: Outbound) -> None:
    """Send one reply, trying again at once after a short wait if it fails for now."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(QUICK_ATTEMPTS),
        wait=wait_exponential(multiplier=0.2, max=QUICK_WAIT_MAX_S) + wait_random(0, 0.2),
        retry=retry_if_exception(_quickly_retried),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            await sender.send(target, reply)


async def send_kept(
    database: Database, sender: Sender, replies: Sequence[Outbound], now: datetime
) -> SendReport:
    """Send kept replies in order, then record the outcomes; a chat's order is kept.

    After a failure for one chat its later replies wait too, so the outbox delivers them
    in order. The sends are bounded by half the lease: what is not sent by then is left,
    leased, to the outbox job.
    """
    report = SendReport()
    held: dict[str, TemporaryFailure] = {}
    gone: set[str] = set()
    try:
        async with asyncio.timeout(LEASE.total_seconds() / 2):
            for reply in replies:
                await _send_one(sender, reply, report, held, gone)
    except TimeoutError:
        log.warning("sending a turn's replies took too long; the outbox sends the rest")
    await _note(database, lambda uow: _record(uow, report, now))
    return report


async def _note(database: Database, work: Callable[[UnitOfWork], Awaitable[None]]) -> None:
    """Record an outcome, waiting out a database that is briefly unreachable (a restart).

    If it stays unreachable the row is left as it was: the outbox sends it again after
    the lease, so a reply already delivered may then arrive twice, never not at all.
    """
    retrying = AsyncRetrying(
        stop=stop_after_delay(LEASE.total_seconds() / 3),
        wait=wait_exponential(multiplier=0.1, max=2.0),
        retry=retry_if_exception(lambda error: fault_of(error) is Fault.UNREACHABLE),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                await database.run(work)
    except Exception as error:
        log.error("a reply's delivery could not be recorded: %s", type(error).__name__)


async def _send_one(
    sender: Sender,
    reply: Outbound,
    report: SendReport,
    held: dict[str, TemporaryFailure],
    gone: set[str],
) -> bool:
    """Send one kept reply unless its chat is gone or waiting; True if it was sent."""
    if OUTBOX_ID not in reply.meta:
        return await _send_unkept(sender, reply, held, gone)
    row_id, target = int(reply.meta[OUTBOX_ID]), reply.meta[TO]
    if target in gone:
        report.gone.append(row_id)
        return False
    if target in held:
        report.later[row_id] = held[target]
        return False
    try:
        await _send(sender, target, reply)
    except RecipientGone:
        gone.add(target)
        report.gone.append(row_id)
        return False
    except Exception as error:  # TemporaryFailure, or a fault of ours: the outbox retries
        failure = error if isinstance(error, TemporaryFailure) else None
        held[target] = failure or TemporaryFailure(type(error).__name__)
        report.later[row_id] = held[target]
        log.warning("a reply could not be sent now (%s); the outbox retries it", held[target])
        return False
    report.sent.append(row_id)
    return True


async def _send_unkept(
    sender: Sender, reply: Outbound, held: dict[str, TemporaryFailure], gone: set[str]
) -> bool:
    """Send an ephemeral reply once, in its turn's order; if it fails it is gone (never kept).

    The parent can ask again (a letter is one tap); the failure is logged by kind only.
    """
    target = reply.meta[TO]
    if target in gone or target in held:
        log.warning("an ephemeral reply was not sent (its chat is waiting); it is not kept")
        return False
    try:
        await _send(sender, target, reply)
    except Exception as error:
        log.warning(
            "an ephemeral reply could not be sent (%s); it is not kept", type(error).__name__
        )
        return False
    return True


async def _record(uow: UnitOfWork, report: SendReport, now: datetime) -> None:
    """Forget sent rows, mark those whose chat is gone, schedule the rest (one transaction).

    Core statements on the table, not the ORM's bulk paths: this runs after every turn.
    """
    if report.sent:
        await uow.session.execute(delete(OUTBOX).where(OUTBOX.c.id.in_(report.sent)))
    if report.gone:
        await uow.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(report.gone))
            .values(status="undelivered", attempts=1, last_error="recipient gone")
        )
    for row_id, failure in report.later.items():
        await uow.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == row_id)
            .values(
                attempts=1,
                last_error=str(failure)[:200],
                next_attempt_at=now + backoff(1, failure.retry_after),
            )
        )
