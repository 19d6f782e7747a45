"""The web chat's visible history: what a parent sees when they come back, encrypted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sendbot.storage.models.base import Base, stamped_now


class WebMessage(Base):
    """One message shown in a web chat (the parent's or the bot's), its content encrypted.

    Found by the chat's keyed hash, like its conversation; deleted with it when idle state
    is purged, and all at once when the parent clears the conversation or erases their data.
    """

    __tablename__ = "web_messages"
    __table_args__ = (Index("ix_web_messages_chat", "chat_key", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_key: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # Fernet token of the message's JSON
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)
