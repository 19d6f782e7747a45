"""Finding what is held about one chat where rows carry no chat key (the outbox)."""

from __future__ import annotations

from sqlalchemy import select

from sendbot.core.keyring import Keyring
from sendbot.storage.models import OutboxMessage
from sendbot.storage.unit_of_work import UnitOfWork

PAGE = 1000


async def outbox_for_chat(
    uow: UnitOfWork, keyring: Keyring, channel: str, chat_id: str
) -> list[OutboxMessage]:
    """Messages queued or sent to one chat: their address is encrypted, so each is opened.

    Delivered messages are kept only `outbox_days`, so this reads a bounded table.
    """
    found: list[OutboxMessage] = []
    after = 0
    while True:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.channel == channel, OutboxMessage.id > after)
            .order_by(OutboxMessage.id)
            .limit(PAGE)
        )
        rows = list((await uow.session.execute(query)).scalars())
        if not rows:
            return found
        after = rows[-1].id
        for row in rows:
            try:
                if keyring.decrypt(row.chat_ref) == chat_id:
                    found.append(row)
            except ValueError:
                continue
