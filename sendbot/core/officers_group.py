"""Queueing a message to the officers' group chat, for tickets and security alerts alike."""

from __future__ import annotations

from sendbot.core.messages import Outbound
from sendbot.core.outbox import enqueue
from sendbot.core.services import Services
from sendbot.storage.unit_of_work import UnitOfWork


async def queue_to_officers_group(
    uow: UnitOfWork, services: Services, message: Outbound, *, dedupe_key: str, kind: str
) -> bool:
    """Queue `message` to the officers' group through the outbox; False if none is set."""
    group = services.settings.officers_chat_id
    if group is None:
        return False
    await enqueue(
        uow,
        dedupe_key=dedupe_key,
        channel=services.settings.officers_chat_channel,
        chat_ref=services.keyring.encrypt(str(group)),
        message=message,
        kind=kind,
        keyring=services.keyring,
    )
    return True
