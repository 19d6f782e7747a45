"""Question answering: how helpful each answer was, and the questions it could not answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sendbot.storage.models.base import Base, stamped_now


class AnswerFeedback(Base):
    """Counts of 'Was this helpful?' presses for one entry."""

    __tablename__ = "answer_feedback"

    entry_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    not_helpful: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=stamped_now, onupdate=stamped_now)


class KnowledgeGap(Base):
    """A question the bot was unsure about or could not answer, with personal data removed.

    Kept 90 days for the knowledge-gap report (`sendbot kb gaps`), then purged.
    """

    __tablename__ = "knowledge_gaps"
    __table_args__ = (
        Index("ix_knowledge_gaps_asked_at", "asked_at"),
        Index("ix_knowledge_gaps_question_key", "question_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(default=stamped_now)
    outcome: Mapped[str] = mapped_column(String(16))
    question: Mapped[str] = mapped_column(Text)
    question_key: Mapped[str] = mapped_column(String(200))
    top_entry: Mapped[str | None] = mapped_column(String(80), default=None)
    score: Mapped[float] = mapped_column(Float, default=0.0)
