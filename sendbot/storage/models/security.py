"""Security facts every process shares: which keys the data belongs to, and failed attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sendbot.storage.models.base import Base, stamped_now


class KeyFingerprint(Base):
    """A fingerprint of the hashing key or of an encryption key the stored data is under.

    The fingerprint is a keyed hash of a constant (see `sendbot.core.keyring.fingerprint`):
    it tells two keys apart and reveals nothing about either.
    """

    __tablename__ = "key_fingerprints"

    # "hash" for the one hashing key (the first process to record it wins), or
    # "encrypt:" and the fingerprint for each encryption key data may be under.
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=stamped_now)


class SecurityFailure(Base):
    """One failed attempt at something guarded (an officer invite), kept a week.

    Counted per chat (a few in a day pause the chat) and over every chat together (a flood
    slows everyone and alerts officers); every process reads the same rows.
    """

    __tablename__ = "security_failures"
    __table_args__ = (
        Index("ix_security_failures_kind_at", "kind", "at"),
        Index("ix_security_failures_kind_chat_at", "kind", "chat_key", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "invite"
    chat_key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=stamped_now)
