"""Case status: cases imported from the council, their history, parent links and link codes.

Only the minimum is kept. The child's first name is encrypted at rest (Fernet, the keyring);
the date of birth is kept only as a keyed hash bound to the case reference, because it is
needed for nothing but checking what a parent types when linking. Link codes are kept as
keyed hashes, never in clear.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sendbot.storage.models.base import Base, stamped_now


class Case(Base):
    """One child's EHC case as the council's system exported it."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    child_name: Mapped[str] = mapped_column(Text)  # first name only, encrypted (Fernet token)
    dob_digest: Mapped[str] = mapped_column(String(64))  # keyed hash of reference + ISO date
    stage: Mapped[str] = mapped_column(String(24))
    request_date: Mapped[date] = mapped_column(Date)
    decision_date: Mapped[date | None] = mapped_column(Date, default=None)
    draft_date: Mapped[date | None] = mapped_column(Date, default=None)
    final_date: Mapped[date | None] = mapped_column(Date, default=None)
    last_review_date: Mapped[date | None] = mapped_column(Date, default=None)
    next_transfer_date: Mapped[date | None] = mapped_column(Date, default=None)
    # Which Reg 18 rule the next transfer follows (school, post16, post16_move), worked out
    # from the date of birth at import so that the date itself need not be kept.
    transfer_kind: Mapped[str | None] = mapped_column(String(12), default=None)
    exception: Mapped[str | None] = mapped_column(String(1), default=None)  # Reg 10(4) a-d
    row_digest: Mapped[str] = mapped_column(String(64))  # keyed hash of the imported row
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)
    updated_at: Mapped[datetime] = mapped_column(default=stamped_now)


class CaseEvent(Base):
    """Something that happened to a case: imported, changed, stage moved, deadline passed."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_kind", "case_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=stamped_now)
    kind: Mapped[str] = mapped_column(String(16))  # created, updated, stage, overdue
    stage: Mapped[str | None] = mapped_column(String(24), default=None)
    previous_stage: Mapped[str | None] = mapped_column(String(24), default=None)
    # Names of changed columns, or the deadline that passed; never the child's name or DOB.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CaseLink(Base):
    """A parent's chat linked to a case; the chat's address is copied (encrypted) for alerts."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("case_id", "chat_key", name="uq_case_links_case_chat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    chat_key: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_ref: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)


class LinkCode(Base):
    """A single-use code printed on the council's letter, stored only as a keyed hash."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class LinkFailure(Base):
    """One failed linking attempt by a chat (kept a week; five in a day pause the chat)."""

    __tablename__ = "link_failures"
    __table_args__ = (
        Index("ix_link_failures_chat_at", "chat_key", "at"),
        Index("ix_link_failures_at", "at"),  # the rate of failures from every chat
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=stamped_now)
    # Set when the code was real but the date of birth did not match: such codes are
    # revoked after a few tries from any chats, so a stolen letter cannot be brute-forced.
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("link_codes.id", ondelete="SET NULL"), default=None, index=True
    )
