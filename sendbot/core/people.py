"""The people the domain services act for: a parent is one channel identity.

An officer is `sendbot.storage.models.Officer` (a person with a role, reached through
`officer_channels`); a parent is known only by the keyed hash of the chat, web session
or phone number they write from, and is reached on that same channel.
"""

from __future__ import annotations

from dataclasses import dataclass

from sendbot.core.keyring import Keyring
from sendbot.storage.models import Conversation
from sendbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Parent:
    """A parent as the services know them: one channel identity (a chat, a web session).

    `chat_key` is the keyed hash that scopes every read of their tickets and cases;
    `chat_ref` the encrypted address messages to them are delivered to, on `channel`.
    """

    chat_key: str
    channel: str
    chat_ref: str | None

    @classmethod
    def of(cls, conversation: Conversation) -> Parent:
        """The parent whose conversation this is."""
        return cls(conversation.chat_key, conversation.channel, conversation.chat_ref)


async def linked_child_names(uow: UnitOfWork, keyring: Keyring, chat_key: str) -> list[str]:
    """The first names of the children whose cases are linked to a chat.

    Redaction always removes them from what the parent on that chat writes.
    """
    names = [keyring.reveal(case.child_name) for case in await uow.cases.linked_cases(chat_key)]
    return [name for name in names if name and name.strip()]
