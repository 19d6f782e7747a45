"""The officers' web console: sign-in accounts (one per officer) and their sessions.

An account belongs to an officer (the person); its e-mail is found by a keyed hash and
kept encrypted, its password only as an argon2 hash, its TOTP secret encrypted. A session
is found by a keyed hash of the random value in the browser's cookie.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sendbot.storage.models.base import Base, stamped_now
from sendbot.storage.models.tickets import Ticket


class ConsoleAccount(Base):
    """An officer's console sign-in: e-mail, password hash and second factor."""

    __tablename__ = "console_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int] = mapped_column(
        ForeignKey("officers.id", ondelete="CASCADE"), unique=True
    )
    email_key: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(Text)  # Fernet token
    password_hash: Mapped[str | None] = mapped_column(Text, default=None)
    totp_secret: Mapped[str] = mapped_column(Text)  # Fernet token
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)
    setup_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    setup_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)
    set_up_at: Mapped[datetime | None] = mapped_column(default=None)


class ConsoleSession(Base):
    """One signed-in browser: ends on sign-out, after inactivity, or when the officer goes."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("console_accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=stamped_now)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class TicketNote(Base):
    """An officer's internal note on a ticket: for officers only, never sent to the parent."""

    __tablename__ = "ticket_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("officers.id", ondelete="SET NULL"), default=None
    )
    at: Mapped[datetime] = mapped_column(default=stamped_now)
    body: Mapped[str | None] = mapped_column(Text, default=None)  # Fernet token


# The inbox lists tickets soonest due first, a page at a time: an index in that order lets
# the database stop after one page instead of sorting every open ticket.
Index("ix_tickets_due_id", Ticket.due_at, Ticket.id)
