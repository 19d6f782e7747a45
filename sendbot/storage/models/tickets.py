"""Escalation: officers, their invites, tickets, ticket messages and Local Offer feedback.

An officer is a person (`officers`) reached through channels (`officer_channels`).
Every text a parent wrote is stored encrypted with the keyring (the columns hold Fernet
tokens); parents are found by the keyed hash of their chat, never by its id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sendbot.storage.models.base import Base, stamped_now


class Officer(Base):
    """A council officer: a person with a role, reached through one or more channels.

    The person keeps one number for good (tickets, messages and the audit log name it);
    how they are found and reached (a Telegram chat, a console account) are their
    `channels`. `Officer(officer_key=..., channel=..., chat_ref=...)` makes an officer
    with a first channel, as joining with an invite code does.
    """

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(40), default=None)
    role: Mapped[str] = mapped_column(String(8), default="officer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)
    channels: Mapped[list[OfficerChannel]] = relationship(
        lazy="selectin", order_by="OfficerChannel.id", cascade="all, delete-orphan"
    )

    def __init__(
        self,
        *,
        officer_key: str | None = None,
        channel: str | None = None,
        chat_ref: str | None = None,
        **values: Any,
    ) -> None:
        super().__init__(**values)
        if officer_key is not None and channel is not None:
            stamp = {"created_at": values["created_at"]} if "created_at" in values else {}
            self.channels.append(
                OfficerChannel(officer_key=officer_key, channel=channel, chat_ref=chat_ref, **stamp)
            )

    @property
    def chats(self) -> list[OfficerChannel]:
        """The channels a message can be delivered to (console accounts have no chat)."""
        return [c for c in self.channels if c.chat_ref]


class OfficerChannel(Base):
    """One way an officer is found and reached: a keyed hash of their id on a channel.

    `officer_key` is the keyed hash of "channel:their id" (never stored in the clear);
    `chat_ref` the encrypted address of their private chat, if the channel is a chat.
    """

    __tablename__ = "officer_channels"
    __table_args__ = (Index("ix_officer_channels_officer", "officer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    officer_key: Mapped[str] = mapped_column(String(64), unique=True)
    chat_ref: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)


class OfficerInvite(Base):
    """A single-use code from `sendbot officers invite`, stored only as a keyed hash."""

    __tablename__ = "officer_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(8), default="officer")
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("officers.id", ondelete="SET NULL"), default=None
    )


class Ticket(Base):
    """A parent's request for a person: encrypted text, who holds it, and its service level."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_due", "status", "due_at"),
        Index("ix_tickets_officer", "officer_id", "status"),
        Index("ix_tickets_parent", "parent_key"),
        Index("ix_tickets_waiting_due", "waiting_on_parent", "due_at", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    draft_token: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12), default="open")
    parent_key: Mapped[str | None] = mapped_column(String(64), default=None)
    channel: Mapped[str] = mapped_column(String(16))
    parent_ref: Mapped[str | None] = mapped_column(Text, default=None)
    body: Mapped[str | None] = mapped_column(Text, default=None)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), default=None
    )
    case_ref: Mapped[str | None] = mapped_column(Text, default=None)
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("officers.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)
    half_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_by: Mapped[str | None] = mapped_column(String(8), default=None)
    half_reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    overdue_reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
    rated_at: Mapped[datetime | None] = mapped_column(default=None)
    content_erased_at: Mapped[datetime | None] = mapped_column(default=None)
    # Whether the newest message is an officer's (the ticket waits for the parent): set
    # only by TicketRepository.add_message, so the inbox filters on it by index.
    waiting_on_parent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class TicketMessage(Base):
    """One message on a ticket after the first, from the parent or an officer (encrypted)."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=stamped_now)
    author: Mapped[str] = mapped_column(String(8))
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("officers.id", ondelete="SET NULL"), default=None
    )
    body: Mapped[str | None] = mapped_column(Text, default=None)
    entry_id: Mapped[str | None] = mapped_column(String(80), default=None)
    outbox_key: Mapped[str | None] = mapped_column(String(128), default=None)


class TicketTerm(Base):
    """One keyed hash of a normalised word a ticket's texts contain: the inbox's blind index.

    No word is stored, only its keyed hash (the keyring's search key), once per ticket;
    the rows go when the ticket's content is erased.
    """

    __tablename__ = "ticket_terms"
    __table_args__ = (Index("ix_ticket_terms_term", "term", "ticket_id"),)

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(32), primary_key=True)


class OfferFeedback(Base):
    """Feedback on the Local Offer: redacted, encrypted, anonymous unless the parent chose."""

    __tablename__ = "offer_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    received_at: Mapped[datetime] = mapped_column(default=stamped_now, index=True)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), default=None
    )
    response: Mapped[str | None] = mapped_column(Text, default=None)
    responded_at: Mapped[datetime | None] = mapped_column(default=None)
