"""The names redaction must always remove for one chat: its linked children's first names."""

from __future__ import annotations

from sendbot.core.keyring import Keyring
from sendbot.storage.unit_of_work import UnitOfWork


async def linked_child_names(uow: UnitOfWork, keyring: Keyring, chat_key: str) -> list[str]:
    """The first names of the children whose cases are linked to a chat."""
    names = [keyring.reveal(case.child_name) for case in await uow.cases.linked_cases(chat_key)]
    return [name for name in names if name and name.strip()]
