"""Security facts every process shares: which keys the data belongs to, and failed attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from sendbot.storage.models.base import Base, utcnow


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
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
