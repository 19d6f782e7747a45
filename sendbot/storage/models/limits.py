"""Rate-limit counters every process shares (the `limits` library's counts, kept here)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sendbot.storage.models.base import Base


class RateCounter(Base):
    """One fixed-window count: how many hits a key has had until its window ends.

    The key is a keyed hash of the limit and what it counts (a session or an address), so
    no address is stored; a row whose window has ended is reused, or purged.
    """

    __tablename__ = "rate_counters"
    __table_args__ = (Index("ix_rate_counters_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column()
