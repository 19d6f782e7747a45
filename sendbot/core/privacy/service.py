"""A parent's rights, with no chat in them: a copy of everything held, and erasure.

Every function takes the unit of work, the services (with the one clock) and the parent
(one channel identity), with the id of the chat or session they write from in the clear,
which finds the outbox copies of messages to them (stored only encrypted).
"""

from __future__ import annotations

from typing import Any

from sendbot.core.people import Parent
from sendbot.core.privacy.erasure import ErasureReport, erase_parent
from sendbot.core.privacy.export import collect_my_data, export_file
from sendbot.core.services import Services
from sendbot.storage.unit_of_work import UnitOfWork


async def my_data(
    uow: UnitOfWork, services: Services, parent: Parent, chat_id: str
) -> tuple[str, bytes]:
    """Everything held about the parent, decrypted for them: (file name, JSON bytes).

    Officers are named as the parent sees them elsewhere (first names only when the
    council shows them); the council is named as the controller.
    """
    now = services.clock()
    data: dict[str, Any] = await collect_my_data(
        uow,
        services.keyring,
        chat_key=parent.chat_key,
        channel=parent.channel,
        chat_id=chat_id,
        controller=services.kb.council_name,
        now=now,
        show_names=services.settings.officer_display == "first_name",
    )
    return export_file(data, now)


async def erase(uow: UnitOfWork, services: Services, parent: Parent, chat_id: str) -> ErasureReport:
    """Erase the parent's data inside the caller's transaction, and audit it."""
    return await erase_parent(
        uow,
        services.keyring,
        chat_key=parent.chat_key,
        channel=parent.channel,
        chat_id=chat_id,
        now=services.clock(),
    )
