"""Escalation: officers, their invites, tickets, ticket messages and Local Offer feedback.

Every text a parent wrote is stored encrypted with the keyring (the columns hold Fernet
tokens); parents are found by the keyed hash of their chat, never by its id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sendbot.storage.models.base import Base, stamped_now


class Officer(Base):
    """A council officer who joined with an invite code; found by a keyed hash of their id."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_key: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_ref: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(40), default=None)
    role: Mapped[str] = mapped_column(String(8), default="officer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
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
