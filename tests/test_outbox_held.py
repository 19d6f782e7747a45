"""Held messages (WhatsApp's 24-hour rule): kept without spending attempts, released when
the recipient writes, and only then delivered; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sendbot.core.outbox import KIND, Held, deliver_due, notice_waiting, release_held
from sendbot.storage.db import Database
from sendbot.storage.models import OutboxMessage
from tests.test_outbox import KEYS, NOW, RecordingSender, queue


class HoldingSender(RecordingSender):
    """Holds every message while `closed`, saying whether it told the recipient."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = True
        self.notify = False

    async def send(self, chat_id: str, message: object) -> None:
        if self.closed:
            raise Held("window closed", notified=self.notify)
        await super().send(chat_id, message)  # type: ignore[arg-type]


async def rows(database: Database) -> list[OutboxMessage]:
    async with database.unit_of_work() as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await uow.session.execute(query)).scalars())


async def test_held_messages_wait_for_the_recipient_then_go(database: Database) -> None:
    await queue(database, "a:1", chat_id="2001")
    await queue(database, "a:2", chat_id="2001")
    await queue(database, "b:1", chat_id="2002")
    sender = HoldingSender()
    report = await deliver_due(database, KEYS, sender, NOW + timedelta(seconds=1))
    assert report.held == 3 and report.sent == 0
    held = await rows(database)
    assert [r.status for r in held] == ["waiting"] * 3
    assert [r.attempts for r in held] == [0, 0, 0]  # waiting is not failing
    assert held[0].hold_key == KEYS.chat_key("telegram", "2001")
    sender.closed = False
    assert (await deliver_due(database, KEYS, sender, NOW + timedelta(days=9))).sent == 0
    # Chat 2001 writes: its two messages are due again, and only they go.
    async with database.unit_of_work() as uow:
        ids = await release_held(uow, "telegram", KEYS.chat_key("telegram", "2001"), NOW)
    assert len(ids) == 2
    report = await deliver_due(database, KEYS, sender, NOW, only=ids)
    assert report.sent == 2 and [c for c, _ in sender.sent] == ["2001", "2001"]
    assert sender.sent[0][1].meta == {KIND: "message"}
    assert [(r.status, r.hold_key is None) for r in await rows(database)] == [
        ("sent", True), ("sent", True), ("waiting", False),
    ]  # fmt: skip


async def test_a_notified_recipient_is_known_to_have_been_told(database: Database) -> None:
    await queue(database, "n:1", chat_id="3001")
    sender = HoldingSender()
    sender.notify = True
    await deliver_due(database, KEYS, sender, NOW + timedelta(seconds=1))
    async with database.unit_of_work() as uow:
        assert await notice_waiting(uow, "telegram", KEYS.chat_key("telegram", "3001"))
        assert not await notice_waiting(uow, "telegram", KEYS.chat_key("telegram", "3002"))
    assert [r.status for r in await rows(database)] == ["notified"]
