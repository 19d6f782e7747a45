"""The outbox saves first, delivers once, backs off, and marks gone recipients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from sendbot.core.keyring import Keyring
from sendbot.core.messages import Button, Outbound
from sendbot.core.outbox import (
    RecipientGone,
    TemporaryFailure,
    backoff,
    deliver_due,
    enqueue,
    mark_undelivered,
    provider_ref,
)
from sendbot.storage.db import Database
from sendbot.storage.models import OutboxMessage

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
KEYS = Keyring(["outbox-test-key"])


class RecordingSender:
    """A sender that records deliveries and fails as told."""

    channel = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, Outbound]] = []
        self.fail_with: Exception | None = None
        self.provider_id: str | None = None  # the id the channel gives what it sent

    async def send(self, chat_id: str, message: Outbound) -> str | None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((chat_id, message))
        return self.provider_id


async def queue(database: Database, key: str, chat_id: str = "1001") -> bool:
    async with database.unit_of_work() as uow:
        return await enqueue(
            uow,
            dedupe_key=key,
            channel="telegram",
            chat_ref=KEYS.encrypt(chat_id),
            message=Outbound("<b>Stage changed</b>", ((Button("Open", "m:case"),),)),
            not_before=NOW,
        )


async def statuses(database: Database) -> list[str]:
    async with database.unit_of_work() as uow:
        rows = (await uow.session.execute(select(OutboxMessage))).scalars().all()
        return [row.status for row in rows]


async def test_deliver_once_even_if_enqueued_twice(database: Database) -> None:
    assert await queue(database, "alert:1") is True
    assert await queue(database, "alert:1") is False
    sender = RecordingSender()
    report = await deliver_due(database, KEYS, sender, NOW)
    again = await deliver_due(database, KEYS, sender, NOW + timedelta(hours=1))
    assert (report.sent, again.sent) == (1, 0)
    chat_id, message = sender.sent[0]
    assert chat_id == "1001"
    assert message.buttons[0][0] == Button("Open", "m:case")
    assert await statuses(database) == ["sent"]


async def test_not_sent_before_its_time(database: Database) -> None:
    await queue(database, "alert:later")
    sender = RecordingSender()
    assert (await deliver_due(database, KEYS, sender, NOW - timedelta(minutes=1))).sent == 0
    assert (await deliver_due(database, KEYS, sender, NOW)).sent == 1


async def test_temporary_failure_backs_off_then_succeeds(database: Database) -> None:
    await queue(database, "alert:2")
    sender = RecordingSender()
    sender.fail_with = TemporaryFailure("network down", retry_after=90)
    first = await deliver_due(database, KEYS, sender, NOW)
    assert first.retried == 1 and sender.sent == []
    sender.fail_with = None
    early = await deliver_due(database, KEYS, sender, NOW + timedelta(seconds=60))
    assert early.sent == 0
    late = await deliver_due(database, KEYS, sender, NOW + timedelta(seconds=91))
    assert late.sent == 1


async def test_blocked_recipient_is_kept_and_marked_undelivered(database: Database) -> None:
    await queue(database, "reply:9")
    sender = RecordingSender()
    sender.fail_with = RecipientGone()
    report = await deliver_due(database, KEYS, sender, NOW)
    assert report.gone == 1
    assert await statuses(database) == ["undelivered"]


async def test_a_sent_message_s_channel_id_is_kept_hashed_and_a_later_failure_marks_it(
    database: Database,
) -> None:
    await queue(database, "alert:3")
    await queue(database, "alert:4")
    sender = RecordingSender()
    sender.provider_id = "msg-77"
    assert (await deliver_due(database, KEYS, sender, NOW, only=[1])).sent == 1
    sender.provider_id = None  # a channel that names nothing it sends (Telegram, web)
    assert (await deliver_due(database, KEYS, sender, NOW)).sent == 1
    async with database.unit_of_work() as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        rows = (await uow.session.execute(query)).scalars().all()
        assert [row.provider_ref for row in rows] == [
            KEYS.digest("outbox-provider-ref", "telegram:msg-77"),
            None,
        ]
        assert "msg-77" not in rows[0].provider_ref  # type: ignore[operator]
        assert await mark_undelivered(uow, KEYS, "whatsapp", "msg-77", "code 1") is None
        assert await mark_undelivered(uow, KEYS, "telegram", "msg-78", "code 1") is None
        marked = await mark_undelivered(uow, KEYS, "telegram", "msg-77", "code 131026")
        assert marked is not None and marked.dedupe_key == "alert:3"
    async with database.unit_of_work() as uow:
        assert await mark_undelivered(uow, KEYS, "telegram", "msg-77", "code 9") is None
        query = select(OutboxMessage).where(OutboxMessage.dedupe_key == "alert:3")
        row = (await uow.session.execute(query)).scalar_one()
        assert (row.status, row.last_error) == ("undelivered", "code 131026")
    assert provider_ref(KEYS, "telegram", "msg-77") != provider_ref(KEYS, "whatsapp", "msg-77")
    assert sorted(await statuses(database)) == ["sent", "undelivered"]


def test_backoff_grows_and_is_capped() -> None:
    delays = [backoff(n) for n in range(1, 12)]
    assert delays == sorted(delays)
    assert delays[0] == timedelta(seconds=30)
    assert delays[-1] == timedelta(hours=1)
    assert backoff(1, retry_after=600) == timedelta(seconds=600)
