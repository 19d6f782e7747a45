"""Where messages about tickets go, all through the outbox: the parent, officers, the group.

A parent is reached on the channel their ticket came from; an officer on every chat
channel they joined from (a console account has no chat and reads the console instead).
"""

from __future__ import annotations

from sendbot.core.messages import Outbound
from sendbot.core.officers_group import queue_to_officers_group
from sendbot.core.outbox import enqueue
from sendbot.core.services import Services
from sendbot.storage.models import Officer, Ticket
from sendbot.storage.ticket_repository import ticket_outbox_prefix
from sendbot.storage.unit_of_work import UnitOfWork


async def to_parent(
    uow: UnitOfWork, services: Services, ticket: Ticket, message: Outbound, key: str
) -> str | None:
    """Queue a message to the ticket's parent on their channel; its key, or None if gone."""
    if ticket.parent_ref is None:
        return None
    dedupe = ticket_outbox_prefix(ticket.id) + key
    await enqueue(
        uow,
        dedupe_key=dedupe,
        channel=ticket.channel,
        chat_ref=ticket.parent_ref,
        message=message,
        kind="ticket-parent",
        keyring=services.keyring,
    )
    return dedupe


async def to_officer(
    uow: UnitOfWork,
    services: Services,
    ticket_id: int | None,
    officer: Officer,
    message: Outbound,
    key: str,
) -> str | None:
    """Queue a message to an officer's private chat; its outbox key."""
    prefix = ticket_outbox_prefix(ticket_id) if ticket_id is not None else "officer:"
    dedupe = f"{prefix}{key}:o{officer.id}"
    await enqueue(
        uow,
        dedupe_key=dedupe,
        channel=officer.channel,
        chat_ref=officer.chat_ref,
        message=message,
        kind="ticket-officer",
        keyring=services.keyring,
    )
    return dedupe


async def to_group(
    uow: UnitOfWork, services: Services, ticket: Ticket, message: Outbound, key: str
) -> str | None:
    """Queue a message to the officers' group, if one is configured."""
    dedupe = ticket_outbox_prefix(ticket.id) + key
    queued = await queue_to_officers_group(
        uow, services, message, dedupe_key=dedupe, kind="ticket-group"
    )
    return dedupe if queued else None
