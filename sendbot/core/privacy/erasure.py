"""/deleteme: erase what is held about a parent, keeping only counts.

What goes: the conversation (its state and the chat's encrypted address), every case link
(the council's case itself stays, as it is the council's record), messages waiting for or
sent to the chat, and the content of the parent's tickets (the ticket rows stay, emptied,
so the council's counts and service figures remain true). What stays: failed case-link
attempts, for seven days, so that erasing cannot be used to reset the guessing limit;
knowledge-gap questions, which were never linked to anyone. The erasure itself is written
to the audit log with counts only, so an emptied ticket is never mistaken for tampering.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import delete

from sendbot.core.audit import append
from sendbot.core.keyring import Keyring
from sendbot.core.privacy.holdings import outbox_for_chat
from sendbot.storage.models import CaseLink, OutboxMessage
from sendbot.storage.unit_of_work import UnitOfWork

ACTOR = "parent"
ACTION = "privacy.erasure"
SUBJECT = "erasure"


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure removed, and its reference for the parent's records."""

    reference: str
    cases_unlinked: int
    tickets_emptied: int
    messages_deleted: int
    conversation_deleted: bool


def new_reference() -> str:
    """A random reference for one erasure, e.g. E-3F9A1C07."""
    return "E-" + secrets.token_hex(4).upper()


async def erase_parent(
    uow: UnitOfWork,
    keyring: Keyring,
    *,
    chat_key: str,
    channel: str,
    chat_id: str,
    now: datetime,
) -> ErasureReport:
    """Erase one chat's data inside the caller's transaction and audit it."""
    unlinked = await uow.session.execute(delete(CaseLink).where(CaseLink.chat_key == chat_key))
    emptied = await uow.parent_records.strip_parent_content(chat_key, now)
    messages = await outbox_for_chat(uow, keyring, channel, chat_id)
    if messages:
        await uow.session.execute(
            delete(OutboxMessage).where(OutboxMessage.id.in_([m.id for m in messages]))
        )
    conversation = await uow.conversations.get(chat_key)
    if conversation is not None:
        await uow.session.delete(conversation)
    report = ErasureReport(
        reference=new_reference(),
        cases_unlinked=int(getattr(unlinked, "rowcount", 0) or 0),
        tickets_emptied=emptied,
        messages_deleted=len(messages),
        conversation_deleted=conversation is not None,
    )
    detail = {k: v for k, v in asdict(report).items() if k != "reference"}
    await append(
        uow.session,
        keyring,
        actor=ACTOR,
        action=ACTION,
        subject_type=SUBJECT,
        subject_id=report.reference,
        at=now,
        detail=detail,
    )
    await uow.session.flush()
    return report
