"""Reaching a parent without Telegram: link codes and case alerts by e-mail or text message.

The core sees only the Notifier interface; an adapter (sendbot/adapters/notify.py, GOV.UK
Notify) does the sending. A contact is kept only when the council asks for alerts, and then
as a case link like a chat's: a keyed hash to find it, the address itself encrypted. No
contact is ever logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

import phonenumbers

from sendbot.core.formatting import html_to_plain
from sendbot.core.keyring import Keyring
from sendbot.core.messages import Outbound
from sendbot.storage.unit_of_work import UnitOfWork

Channel = Literal["email", "sms"]
CHANNELS: tuple[Channel, ...] = ("email", "sms")
Template = Literal["code", "alert"]
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


class Notifier(Protocol):
    """Sends one templated message; raises RecipientGone or TemporaryFailure (outbox.py)."""

    async def send(
        self, channel: Channel, contact: str, template: Template, values: dict[str, str]
    ) -> str:
        """Send; return the service's id for the message."""


def normalise_contact(channel: Channel, text: str) -> str | None:
    """An e-mail address in lower case, or a UK mobile number in E.164; None if invalid."""
    cleaned = text.strip()
    if channel == "email":
        return cleaned.lower() if _EMAIL.match(cleaned) and len(cleaned) <= 254 else None
    try:
        number = phonenumbers.parse(cleaned, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


async def keep_for_alerts(
    uow: UnitOfWork, keyring: Keyring, case_id: int, channel: Channel, contact: str, now: datetime
) -> bool:
    """Link a contact to a case so its alerts reach it; False if it was linked already."""
    chat_key = keyring.chat_key(channel, contact)
    if any(
        link.chat_key == chat_key
        for link in (await uow.cases.links_for([case_id])).get(case_id, [])
    ):
        return False
    await uow.cases.add_link(case_id, chat_key, channel, keyring.encrypt(contact), now)
    return True


@dataclass
class NotifierSender:
    """The outbox's sender for one channel: each alert through the notifier's alert template."""

    notifier: Notifier
    channel: str  # "email" or "sms"

    async def send(self, chat_id: str, message: Outbound) -> None:
        """Deliver one queued alert as plain text."""
        channel: Channel = "email" if self.channel == "email" else "sms"
        await self.notifier.send(
            channel, chat_id, "alert", {"message": html_to_plain(message.html).strip()}
        )
