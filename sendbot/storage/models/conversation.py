"""Dialogue state per chat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sendbot.storage.models.base import Base, stamped_now


class Conversation(Base):
    """One chat's dialogue state, found by a keyed hash of the chat id."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_key: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_ref: Mapped[str | None] = mapped_column(Text, default=None)
    state: Mapped[str] = mapped_column(String(32), default="idle")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)
    # When the chat last wrote, set by the dialogue's clock (idle state is purged by it);
    # the bot's own changes (a chat marked inactive) do not count as activity.
    updated_at: Mapped[datetime] = mapped_column(default=stamped_now)
