"""The outbox: messages are saved before they are sent, then delivered with backoff.

A message that keeps failing for any reason but a recipient who is gone is retried on a
schedule kept in the database (`next_attempt_at`, exponential backoff from tenacity's wait
strategy), up to MAX_ATTEMPTS; then it is marked failed and handed to `on_give_up`, which
tells the officers or the parent (core/delivery_failures.py). Nothing is dropped in silence.
A channel that reports delivery later (WhatsApp) gives the sent message's id, kept only as a
keyed hash (`provider_ref`), so that a later failure marks the row undelivered.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from tenacity import RetryCallState, Retrying, wait_exponential

from sendbot.core.keyring import Keyring
from sendbot.core.messages import Button, Outbound
from sendbot.storage.db import Database
from sendbot.storage.models import OutboxMessage
from sendbot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
EDIT_OF = "edit_of"  # an Outbound's meta key: the channel's id of the message it replaces
SEALED = "sealed"  # key of the one item that holds encrypted button rows
FERNET_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte and timestamp)


class RecipientGone(Exception):
    """The recipient cannot be reached any more (for example, they blocked the bot)."""


class TemporaryFailure(Exception):
    """Delivery failed for now; retry later (after retry_after seconds if given)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


WAITING = "waiting"  # held until the recipient writes; nobody told them
NOTIFIED = "notified"  # held until the recipient writes; a notice (a template) told them
HELD = (WAITING, NOTIFIED)
KIND = "kind"  # the meta item carrying an outbox message's kind to its sender


class Held(Exception):
    """The channel may not carry this message now (WhatsApp's 24-hour rule): keep it until
    the recipient next writes. `notified` when the sender told them something is waiting."""

    def __init__(self, reason: str, notified: bool = False) -> None:
        super().__init__(reason)
        self.notified = notified

    @property
    def status(self) -> str:
        """The status the held message takes."""
        return NOTIFIED if self.notified else WAITING


GiveUp = Callable[[UnitOfWork, "OutboxMessage"], Awaitable[None]]
_WAIT = wait_exponential(multiplier=BACKOFF_BASE.total_seconds(), max=BACKOFF_MAX.total_seconds())


class Sender(Protocol):
    """What an adapter provides so the outbox can deliver through it."""

    channel: str

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        """Deliver one message, raising RecipientGone or TemporaryFailure on failure.

        A message whose meta holds EDIT_OF replaces that message when the channel can. The
        channel's id of the message sent, if a later delivery status may name it, else None.
        """


@dataclass(frozen=True)
class DeliveryReport:
    """What one pass of the outbox did."""

    sent: int = 0
    failed: int = 0
    gone: int = 0
    retried: int = 0
    held: int = 0


def _serialise(buttons: tuple[tuple[Button, ...], ...]) -> list[list[dict[str, str | None]]]:
    return [[{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in buttons]


def _deserialise(rows: list[list[dict[str, str | None]]]) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        tuple(Button(str(b["label"]), str(b.get("data") or ""), b.get("url")) for b in row)
        for row in rows
    )


async def enqueue(
    uow: UnitOfWork,
    *,
    dedupe_key: str,
    channel: str,
    chat_ref: str,
    message: Outbound,
    kind: str = "message",
    not_before: datetime | None = None,
    keyring: Keyring | None = None,
) -> bool:
    """Save a message for delivery unless one with the same key exists; True if saved.

    Give the keyring whenever the message holds anything personal: its text and buttons
    are then stored encrypted and decrypted only at delivery.
    """
    existing = await uow.session.execute(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    )
    if existing.first() is not None:
        return False
    row = new_row(dedupe_key, channel, chat_ref, message, kind, keyring)
    if not_before is not None:
        row.next_attempt_at = not_before
    uow.session.add(row)
    await uow.session.flush()
    return True


def new_row(
    dedupe_key: str,
    channel: str,
    chat_ref: str,
    message: Outbound,
    kind: str,
    keyring: Keyring | None,
) -> OutboxMessage:
    """An outbox row for one message (not yet added to a session)."""
    return OutboxMessage(**row_values(dedupe_key, channel, chat_ref, message, kind, keyring))


def row_values(
    dedupe_key: str,
    channel: str,
    chat_ref: str,
    message: Outbound,
    kind: str,
    keyring: Keyring | None,
) -> dict[str, Any]:
    """The column values of an outbox row for one message, encrypted if a keyring is given."""
    if message.document is not None and keyring is None:
        raise ValueError("a file is only saved encrypted: give the keyring")
    return {
        "dedupe_key": dedupe_key,
        "channel": channel,
        "chat_ref": chat_ref,
        "html": keyring.encrypt(message.html) if keyring else message.html,
        "buttons": _seal_buttons(keyring, _serialise(message.buttons)),
        "kind": kind,
        "edit_of": message.meta.get(EDIT_OF),
        "document": _seal_document(keyring, message.document) if keyring else None,
    }


def _seal_document(keyring: Keyring, document: tuple[str, bytes] | None) -> str | None:
    """A file's name and content as one encrypted token."""
    if document is None:
        return None
    name, content = document
    return keyring.encrypt(json.dumps([name, base64.b64encode(content).decode()]))


def message_of(keyring: Keyring, row: OutboxMessage) -> Outbound:
    """The Outbound a saved row holds, decrypted."""
    document = None
    if row.document is not None:
        name, content = json.loads(keyring.decrypt(row.document))
        document = (str(name), base64.b64decode(content))
    message = Outbound(
        html=_open_html(keyring, row.html),
        buttons=_deserialise(_open_buttons(keyring, row.buttons)),
        document=document,
    )
    return replace(message, meta={EDIT_OF: row.edit_of}) if row.edit_of else message


def _seal_buttons(keyring: Keyring | None, rows: list[Any]) -> list[Any]:
    """Button rows, encrypted as one JSON token when a keyring is given."""
    if keyring is None or not rows:
        return rows
    return [{SEALED: keyring.encrypt(json.dumps(rows))}]


def _open_buttons(keyring: Keyring, rows: list[Any]) -> list[Any]:
    """Button rows as saved, decrypted if they were sealed."""
    if len(rows) == 1 and isinstance(rows[0], dict) and SEALED in rows[0]:
        opened: list[Any] = json.loads(keyring.decrypt(str(rows[0][SEALED])))
        return opened
    return rows


def _open_html(keyring: Keyring, html: str) -> str:
    """The message text, decrypted if it was stored encrypted."""
    return keyring.decrypt(html) if html.startswith(FERNET_PREFIX) else html


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential delay after a failed attempt, honouring a server's retry-after."""
    state = RetryCallState(Retrying(), None, (), {})
    state.attempt_number = max(attempts, 1)
    delay = timedelta(seconds=_WAIT(state))
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


async def deliver_due(
    database: Database,
    keyring: Keyring,
    sender: Sender,
    now: datetime,
    limit: int = 50,
    only: Collection[int] | None = None,
    on_give_up: GiveUp | None = None,
) -> DeliveryReport:
    """Send due messages for the sender's channel (`only` these ids, if given), one
    transaction per message."""
    sent = failed = gone = retried = held = 0
    async with database.unit_of_work() as uow:
        query = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == "pending",
                OutboxMessage.channel == sender.channel,
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if only is not None:
            query = query.where(OutboxMessage.id.in_(list(only)))
        ids = list((await uow.session.execute(query)).scalars())
    for message_id in ids:
        async with database.unit_of_work() as uow:
            row = await _claim(uow, message_id)
            if row is None:
                continue
            message = message_of(keyring, row)
            message = replace(message, meta={**message.meta, KIND: row.kind})
            row.attempts += 1
            chat_id = keyring.decrypt(row.chat_ref)
            try:
                provider_id = await sender.send(chat_id, message)
            except Held as error:
                row.attempts -= 1  # not a failed attempt: it waits for the recipient
                row.status, row.last_error = error.status, str(error)[:200]
                row.hold_key = keyring.chat_key(row.channel, chat_id)
                held += 1
            except RecipientGone:
                row.status, row.last_error = "undelivered", "recipient gone"
                gone += 1
            except Exception as error:  # TemporaryFailure, or a fault of ours: retried alike
                reason = str(error) if isinstance(error, TemporaryFailure) else type(error).__name__
                row.last_error = reason[:200]
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                    failed += 1
                    await give_up(uow, row, on_give_up)
                else:
                    retry_after = error.retry_after if isinstance(error, TemporaryFailure) else None
                    row.next_attempt_at = now + backoff(row.attempts, retry_after)
                    retried += 1
            else:
                row.status, row.sent_at, row.last_error = "sent", now, None
                if provider_id:
                    row.provider_ref = provider_ref(keyring, row.channel, provider_id)
                sent += 1
    if sent or failed or gone or held:
        log.info(
            "outbox: %d sent, %d retried, %d failed, %d undelivered, %d held",
            sent, retried, failed, gone, held,
        )  # fmt: skip
    return DeliveryReport(sent=sent, failed=failed, gone=gone, retried=retried, held=held)


def provider_ref(keyring: Keyring, channel: str, provider_id: str) -> str:
    """The keyed hash under which a sent message's channel id is kept (never the id)."""
    return keyring.digest("outbox-provider-ref", f"{channel}:{provider_id}")


async def mark_undelivered(
    uow: UnitOfWork, keyring: Keyring, channel: str, provider_id: str, reason: str
) -> OutboxMessage | None:
    """A sent message the channel later reports undelivered: mark it so; its row, or None
    when no sent message has that id (unknown, not kept, or already marked)."""
    # By the hash alone (its own index: a status condition would lead SQLite to the due
    # index instead, reading every sent row), the rest checked on the row.
    query = select(OutboxMessage).where(
        OutboxMessage.provider_ref == provider_ref(keyring, channel, provider_id),
        OutboxMessage.channel == channel,
    )
    row = (await uow.session.execute(query.limit(1))).scalar_one_or_none()
    if row is None or row.status != "sent":
        return None
    row.status, row.last_error = "undelivered", reason[:200]
    return row


async def release_held(uow: UnitOfWork, channel: str, hold_key: str, now: datetime) -> list[int]:
    """Make a recipient's held messages due again (they wrote); their ids, oldest first."""
    query = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.hold_key == hold_key,
            OutboxMessage.status.in_(HELD),
        )
        .order_by(OutboxMessage.id)
    )
    ids = list((await uow.session.execute(query)).scalars())
    if ids:
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(status="pending", next_attempt_at=now, hold_key=None, last_error=None)
        )
    return ids


async def notice_waiting(uow: UnitOfWork, channel: str, hold_key: str) -> bool:
    """Whether a recipient was already told that messages wait for them."""
    query = select(OutboxMessage.id).where(
        OutboxMessage.channel == channel,
        OutboxMessage.hold_key == hold_key,
        OutboxMessage.status == NOTIFIED,
    )
    return (await uow.session.execute(query.limit(1))).first() is not None


async def give_up(uow: UnitOfWork, row: OutboxMessage, on_give_up: GiveUp | None) -> None:
    """A message failed for good: log its kind and reason (never its text), then report it."""
    log.warning(
        "outbox: a %s message failed for good after %d attempts (%s)",
        row.kind, row.attempts, row.last_error,
    )  # fmt: skip
    if on_give_up is not None:
        await on_give_up(uow, row)


async def _claim(uow: UnitOfWork, message_id: int) -> OutboxMessage | None:
    """Lock one pending message for this worker (skipping rows another worker holds)."""
    query = select(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.status == "pending"
    )
    if uow.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await uow.session.execute(query)).scalar_one_or_none()
