"""Messages waiting to be delivered: saved first, sent by a worker, never twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sendbot.storage.models.base import Base, stamped_now


class OutboxMessage(Base):
    """One message to one chat, persisted before any attempt to send it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_hold", "hold_key"),
        Index("ix_outbox_provider_ref", "provider_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_ref: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(32), default="message")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=stamped_now)
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)
    # While held (status "waiting" or "notified"): the recipient's chat key, so that their
    # next message releases it (WhatsApp's 24-hour rule); None otherwise.
    hold_key: Mapped[str | None] = mapped_column(String(64), default=None)
    # The message this one replaces in place (a button's answer), if the channel can edit.
    edit_of: Mapped[str | None] = mapped_column(String(32), default=None)
    # A file sent with the message: its name and content, encrypted as one token.
    document: Mapped[str | None] = mapped_column(Text, default=None)
    # Once sent, the channel's id of the message as a keyed hash, if the channel reports
    # delivery later (WhatsApp's status webhook): how a later failure finds the row.
    provider_ref: Mapped[str | None] = mapped_column(String(64), default=None)
