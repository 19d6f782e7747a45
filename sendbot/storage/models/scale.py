"""Facts that let several bot processes share one database safely."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from sendbot.storage.models.base import Base, stamped_now


class ProcessedUpdate(Base):
    """An update already handled, so a redelivered copy is answered once only."""

    __tablename__ = "processed_updates"
    __table_args__ = (PrimaryKeyConstraint("channel", "update_id"),)

    channel: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(default=stamped_now, index=True)


class JobLease(Base):
    """Which process may run a scheduled job, and until when."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[datetime] = mapped_column(default=stamped_now)
