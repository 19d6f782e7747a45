"""Cloud API webhook payloads in, Inbound messages out: what a parent sent, and who they are.

A webhook POST holds entries, each holding changes; a "messages" change holds the messages
people sent (and, separately, statuses of messages we sent). A parent's identity is their
WhatsApp id (`from`, their number without the plus): it goes to the core as the chat id,
which the core only ever keeps as a keyed hash (the chat key) and encrypted (the chat ref),
never in the clear. Meta may deliver one message more than once: `update_id` is a keyed
hash of its message id, so the core's dedupe of handled updates answers it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sendbot.core.keyring import Keyring
from sendbot.core.messages import Inbound, InboundKind

CHANNEL = "whatsapp"
MENU_DATA = "m:menu"  # a template's quick-reply button: "show me", the menu
UPDATE_ID_HEX = 15  # 60 bits of the keyed hash: within a BIGINT, collisions negligible
# What a parent can send that is not text: each gets the kind "I can only read text" answer.
MEDIA = {
    "image", "audio", "video", "document", "sticker", "location", "contacts", "order",
    "unsupported", "voice",
}  # fmt: skip
IGNORED = {"reaction", "system", "ephemeral", "edit", "revoke"}

JSONDict = dict[str, Any]


@dataclass(frozen=True)
class Received:
    """One message from a webhook: the Inbound for the core, and when it was sent."""

    inbound: Inbound
    timestamp: int
    template_button: bool = False


def update_id(keyring: Keyring, message_id: str) -> int:
    """A number standing for a Cloud API message id, the same on every delivery."""
    return int(keyring.digest("whatsapp-message", message_id)[:UPDATE_ID_HEX], 16)


def messages_of(payload: Any, phone_number_id: str | None) -> list[JSONDict]:
    """Every message a webhook body holds for our business number, oldest first."""
    found: list[JSONDict] = []
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return found
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            if not isinstance(metadata, dict):
                metadata = {}
            if phone_number_id and str(metadata.get("phone_number_id")) != phone_number_id:
                continue  # another number on the same app: not ours to answer
            found.extend(_dicts(value.get("messages")))
    return sorted(found, key=_timestamp)


def statuses_of(payload: Any) -> list[JSONDict]:
    """Every status (sent, delivered, read, failed) a webhook body holds."""
    if not isinstance(payload, dict):
        return []
    return [
        status
        for entry in _dicts(payload.get("entry"))
        for change in _dicts(entry.get("changes"))
        if isinstance(change.get("value"), dict)
        for status in _dicts(change["value"].get("statuses"))
    ]


def to_received(message: JSONDict, keyring: Keyring) -> Received | None:
    """Translate one message into an Inbound, or None if the bot should ignore it."""
    sender, message_id, kind = message.get("from"), message.get("id"), message.get("type")
    if not isinstance(sender, str) or not sender or not isinstance(message_id, str):
        return None
    if message.get("group_id"):
        return None  # a group: the bot serves private chats only

    def inbound(kind: InboundKind, text: str = "") -> Inbound:
        return Inbound(
            channel=CHANNEL,
            chat_id=sender,
            kind=kind,
            text=text,
            message_id=message_id,
            update_id=update_id(keyring, message_id),
        )

    stamp = _timestamp(message)
    if kind == "text":
        body = _field(message, "text", "body")
        return Received(inbound(_text_kind(body), body), stamp)
    if kind == "interactive":
        reply = _interactive_reply(message)
        return None if reply is None else Received(inbound(InboundKind.BUTTON, reply), stamp)
    if kind == "button":
        payload = _field(message, "button", "payload")
        data = payload if ":" in payload and len(payload.encode()) <= 64 else MENU_DATA
        return Received(inbound(InboundKind.BUTTON, data), stamp, template_button=True)
    if kind == "request_welcome":  # the person opened a chat with us for the first time
        return Received(inbound(InboundKind.COMMAND, "/start"), stamp)
    if kind in IGNORED:
        return None
    return Received(inbound(InboundKind.UNSUPPORTED), stamp)


def _text_kind(body: str) -> InboundKind:
    """/word is a command (the terminal's rule: WhatsApp has no commands of its own)."""
    stripped = body.strip()
    return (
        InboundKind.COMMAND
        if stripped.startswith("/") and len(stripped) > 1
        else (InboundKind.TEXT)
    )


def _interactive_reply(message: JSONDict) -> str | None:
    """The id of a pressed reply button or chosen list row (our button data)."""
    interactive = message.get("interactive")
    if not isinstance(interactive, dict):
        return None
    chosen = interactive.get(interactive.get("type", ""))
    if not isinstance(chosen, dict):
        return None
    data = chosen.get("id")
    return data if isinstance(data, str) and data and len(data.encode()) <= 64 else None


def _field(message: JSONDict, outer: str, inner: str) -> str:
    """message[outer][inner] as a string ('' when missing)."""
    part = message.get(outer)
    value = part.get(inner) if isinstance(part, dict) else None
    return value if isinstance(value, str) else ""


def _timestamp(message: JSONDict) -> int:
    """The message's send time in Unix seconds (0 if unreadable)."""
    try:
        return int(message.get("timestamp", 0))
    except (TypeError, ValueError):
        return 0


def _dicts(value: Any) -> list[JSONDict]:
    """The dicts in a JSON list (nothing if it is not one)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
