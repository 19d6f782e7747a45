"""What a ticket is: its kinds, the draft a parent sends, its time allowed, and its words.

The words (a kind's name, an instant, an age, a redacted excerpt) are shared by every
front end that shows a ticket: the chat flows, the officers' console and the scheduled
reminders. What a ticket does lives in `sendbot.core.escalation.service`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sendbot.core.cases.timefmt import long_time
from sendbot.core.formatting import escape
from sendbot.core.people import linked_child_names
from sendbot.core.redaction import redact
from sendbot.core.services import Services
from sendbot.storage.unit_of_work import UnitOfWork

KINDS = ("question", "complaint", "offer", "urgent")
EXCERPT_CHARS = 160
RATINGS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Draft:
    """What the parent wrote and chose, before they press Send."""

    kind: str
    text: str
    token: str
    case_id: int | None = None
    wants_reply: bool = False


def shares_case(kind: str) -> bool:
    """Whether a request of this kind may share a linked case (Local Offer feedback never)."""
    return kind != "offer"


def working_days(services: Services, kind: str) -> int:
    """Working days allowed for a kind: complaints from the local pack's first stage."""
    if kind == "urgent":
        return services.settings.urgent_working_days
    if kind == "complaint":
        council = services.kb.council
        stages = council.complaints.corporate if council else []
        if stages:
            return min(stages, key=lambda s: s.stage).working_days
    return services.settings.ticket_working_days


def kind_name(services: Services, kind: str) -> str:
    """A kind's name as shown in messages."""
    return services.texts.get(f"escalation.kinds.{kind}")


def when(moment: datetime) -> str:
    """An instant in UK time, as people read it."""
    return long_time(moment)


def age(services: Services, since: datetime, now: datetime) -> str:
    """How long ago, roughly: '5 minutes', '3 hours', '2 days'."""
    minutes = max(int((now - since).total_seconds() // 60), 0)
    texts = services.texts
    if minutes < 60:
        return texts.get("escalation.age.minutes", n=minutes)
    if minutes < 48 * 60:
        return texts.get("escalation.age.hours", n=minutes // 60)
    return texts.get("escalation.age.days", n=minutes // (24 * 60))


async def child_names(uow: UnitOfWork, services: Services, chat_key: str | None) -> list[str]:
    """The first names of the children linked to a chat (none once it was erased)."""
    return await linked_child_names(uow, services.keyring, chat_key) if chat_key else []


def excerpt(services: Services, text: str, names: Sequence[str]) -> str:
    """A short redacted, escaped excerpt of a parent's text for the officers' group."""
    cleaned = redact(text, services.retriever.known_words(), names=names)
    if len(cleaned) > EXCERPT_CHARS:
        cleaned = cleaned[: EXCERPT_CHARS - 1].rstrip() + "…"
    return escape(cleaned)


def open_text(services: Services, token: str | None) -> str:
    """Decrypt stored text; a neutral phrase if it was erased or cannot be read."""
    text = services.keyring.reveal(token)
    return services.texts.get("escalation.erased") if text is None else text
