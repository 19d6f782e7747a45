"""Inbound and Outbound message value types shared by every adapter."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class InboundKind(StrEnum):
    """What the person sent."""

    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    UNSUPPORTED = "unsupported"


class Audience(StrEnum):
    """Who an outbound message is for."""

    SENDER = "sender"
    OFFICERS = "officers"
    CHAT = "chat"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a person, as any adapter hands it to the core."""

    channel: str
    chat_id: str
    kind: InboundKind
    text: str = ""
    private: bool = True
    message_id: str | None = None
    update_id: int | None = None
    # The person who sent it, when that differs from the chat (a button pressed in a group).
    user_id: str | None = None
    # The text of the message this one replies to, if any (officers reply to a ticket).
    reply_to: str | None = None

    @property
    def sender_id(self) -> str:
        """The person's own id: user_id in a group, else the chat id."""
        return self.user_id or self.chat_id

    @property
    def command(self) -> str:
        """The command name without slash or bot suffix, lower-cased ('' if not a command)."""
        if self.kind is not InboundKind.COMMAND:
            return ""
        word = self.text.split(maxsplit=1)[0] if self.text.strip() else ""
        return word.lstrip("/").split("@", 1)[0].lower()

    @property
    def argument(self) -> str:
        """Text after the command word."""
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if self.kind is InboundKind.COMMAND and len(parts) > 1 else ""


@dataclass(frozen=True, slots=True)
class Button:
    """A button: a label shown and the data sent back when pressed (at most 64 bytes)."""

    label: str
    data: str = ""
    url: str | None = None

    def __post_init__(self) -> None:
        if len(self.data.encode()) > 64:
            raise ValueError("button data longer than 64 bytes")


# Outbound.meta key: show this reply, never keep it (a letter to the council): the web chat
# leaves it out of the history and the outbox never stores it, not even for a retry.
EPHEMERAL = "ephemeral"


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to send: text in the Telegram HTML subset, with optional button rows."""

    html: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    audience: Audience = Audience.SENDER
    chat_id: str | None = None
    document: tuple[str, bytes] | None = None
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def flat_buttons(self) -> list[Button]:
        """Every button, row by row."""
        return [button for row in self.buttons for button in row]
