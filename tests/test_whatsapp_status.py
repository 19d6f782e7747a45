"""Meta's delivery statuses: a reply accepted, then reported failed, is shown not delivered.

An officer's reply goes through the outbox to the fake Cloud API, which gives it a message
id; a signed status webhook then says it failed (or was delivered, or names an id the
outbox does not hold). The officer's /ticket view, the outbox row and the conversation
show what happened; neither the message id nor the number is ever stored in the clear.
The migration that adds the column is run on a database at the revision before.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import select

from sendbot.app import App
from sendbot.storage.db import Database, alembic_config
from sendbot.storage.models import Conversation, OutboxMessage, UTCDateTime
from tests.fakes.cloud_api import WhatsAppPhone
from tests.fakes.harness import debug_logging
from tests.fakes.whatsapp import PARENT_WA_ID, WhatsAppBot, whatsapp_bot
from tests.test_escalation import ESC, Person, make_officer, text_of
from tests.test_whatsapp_adapter import database_text, escalate, statuses

REPLY = "The panel meets on Thursday; we will write to you after."
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


async def officer_replies(
    bot: WhatsAppBot, phone: WhatsAppPhone, number: str
) -> tuple[Person, str, str]:
    """A parent escalates, an officer replies, the outbox sends it: the officer, the ticket's
    reference and the message id Meta gave the reply."""
    reference = await escalate(phone)
    officer = await make_officer(bot.app, number)
    await officer.send(f"/claim {reference}")
    await officer.send(f"/reply {reference} {REPLY}")
    mark = len(bot.api.sent)
    assert (await bot.run_outbox()).sent == 1
    first = bot.api.sent[mark]
    assert REPLY in first.text and first.message_id.startswith("wamid.")
    assert await statuses(bot.app) == ["sent"]
    return officer, reference, first.message_id


async def outbox_rows(app: App) -> list[tuple[int, str, str | None, str | None]]:
    """Every outbox row's id, status, error and provider reference, oldest first."""
    async with app.database.unit_of_work() as uow:
        query = select(
            OutboxMessage.id,
            OutboxMessage.status,
            OutboxMessage.last_error,
            OutboxMessage.provider_ref,
        ).order_by(OutboxMessage.id)
        return [tuple(row) for row in (await uow.session.execute(query)).all()]  # type: ignore[misc]


async def undelivered_errors(app: App) -> list[str | None]:
    """The errors of the undelivered outbox rows."""
    return [error for _, status, error, _ in await outbox_rows(app) if status == "undelivered"]


async def active(app: App) -> bool:
    """Whether the parent's conversation is marked reachable."""
    key = app.services.keyring.chat_key("whatsapp", PARENT_WA_ID)
    async with app.database.unit_of_work() as uow:
        conversation = await uow.conversations.get(key)
    assert isinstance(conversation, Conversation)
    return conversation.active


async def test_a_failed_status_shows_the_officer_s_reply_as_not_delivered(app: App) -> None:
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        officer, reference, wamid = await officer_replies(bot, phone, "711")
        before = text_of(await officer.send(f"/ticket {reference}"))
        assert ESC["delivery"]["undelivered"] not in before
        assert await phone.post(phone.status(wamid, "failed", 131049)) == 200
        assert await statuses(app) == ["undelivered"]
        assert await undelivered_errors(app) == ["code 131049"]
        view = text_of(await officer.send(f"/ticket {reference}"))
        assert ESC["delivery"]["undelivered"] in view
        assert await active(app)  # Meta's limits are not a number that is gone
        # Meta reporting the message failed again changes nothing.
        assert await phone.post(phone.status(wamid, "failed", 131047)) == 200
        assert await undelivered_errors(app) == ["code 131049"]


async def test_delivered_and_read_change_nothing_and_unknown_ids_are_ignored(app: App) -> None:
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        officer, reference, wamid = await officer_replies(bot, phone, "712")
        before, sent = await outbox_rows(app), len(bot.api.sent)
        turn_reply = bot.api.to(PARENT_WA_ID)[0].message_id  # a turn's own reply: not kept
        for body in (
            phone.status(wamid, "sent"),
            phone.status(wamid, "delivered"),
            phone.status(wamid, "read"),
            phone.status("wamid.not-one-of-ours", "failed", 131026),
            phone.status(turn_reply, "failed", 131026),
        ):
            assert await phone.post(body) == 200
        assert await outbox_rows(app) == before and await statuses(app) == ["sent"]
        assert await active(app) and len(bot.api.sent) == sent  # nothing answers a status
        view = text_of(await officer.send(f"/ticket {reference}"))
        assert ESC["delivery"]["sent"] in view and ESC["delivery"]["undelivered"] not in view
        # A failed status without an error code is still a failure.
        assert await phone.post(phone.status(wamid, "failed")) == 200
        assert await undelivered_errors(app) == ["no code"]


async def test_a_code_for_a_number_that_cannot_be_reached_marks_it_inactive(app: App) -> None:
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        officer, reference, wamid = await officer_replies(bot, phone, "713")
        assert await active(app)
        assert await phone.post(phone.status(wamid, "failed", 131026)) == 200
        assert await undelivered_errors(app) == ["code 131026"]
        assert not await active(app)
        assert ESC["delivery"]["undelivered"] in text_of(await officer.send(f"/ticket {reference}"))
        await phone.send("/help")  # writing again makes the number reachable again
        assert await active(app)


async def test_neither_the_message_id_nor_the_number_is_stored_or_logged(app: App) -> None:
    with debug_logging() as logs:
        async with whatsapp_bot(app) as bot:
            phone = bot.phone()
            _, _, wamid = await officer_replies(bot, phone, "714")
            assert await phone.post(phone.status(wamid, "failed", 131026)) == 200
            sent_ids = [s.message_id for s in bot.api.sent]
    refs = [ref for _, _, _, ref in await outbox_rows(app) if ref is not None]
    assert refs == [app.services.keyring.digest("outbox-provider-ref", f"whatsapp:{wamid}")]
    dump = await database_text(app)
    assert PARENT_WA_ID not in dump and "wamid" not in dump
    assert all(found not in dump for found in sent_ids)
    assert PARENT_WA_ID not in logs.text and wamid not in logs.text
    assert "undeliverable" not in logs.text.lower()  # Meta's words stay out of the logs
    assert "code 131026" in logs.text


OUTBOX = sa.table(
    "outbox", *(sa.column(c) for c in ("id", "dedupe_key", "channel", "chat_ref", "html",
                                        "buttons", "kind", "status", "attempts")),
    *(sa.column(c, UTCDateTime()) for c in ("next_attempt_at", "created_at", "sent_at")),
)  # fmt: skip


async def test_the_migration_adds_an_empty_indexed_column_and_goes_back(
    database_url: str,
) -> None:
    database = Database(database_url, clock=lambda: NOW)
    row = {
        "id": 1, "dedupe_key": "ticket:1:msg:1", "channel": "whatsapp", "chat_ref": "x",
        "html": "x", "buttons": "[]", "kind": "ticket-reply", "status": "sent", "attempts": 1,
        "next_attempt_at": NOW, "created_at": NOW, "sent_at": NOW,
    }  # fmt: skip
    try:
        await database.upgrade("0017_oidc")
        async with database.engine.begin() as connection:
            await connection.execute(sa.insert(OUTBOX), [row])
        await database.upgrade()
        assert await database.schema_state() == "current"
        async with database.engine.connect() as connection:
            indexes = await connection.run_sync(lambda c: sa.inspect(c).get_indexes("outbox"))
        found = [i["column_names"] for i in indexes if i["name"] == "ix_outbox_provider_ref"]
        assert found == [["provider_ref"]]
        async with database.unit_of_work() as uow:
            kept = (await uow.session.execute(select(OutboxMessage))).scalar_one()
            assert (kept.dedupe_key, kept.status, kept.provider_ref) == (
                "ticket:1:msg:1", "sent", None,
            )  # fmt: skip
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "0017_oidc"))
        async with database.engine.connect() as connection:
            columns = await connection.run_sync(lambda c: sa.inspect(c).get_columns("outbox"))
        assert "provider_ref" not in {c["name"] for c in columns}
        assert await database.schema_state() == "behind"
    finally:
        await database.dispose()
