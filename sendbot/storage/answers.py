"""Repositories for answer feedback and knowledge gaps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sendbot.storage.models import AnswerFeedback, KnowledgeGap

QUESTION_CHARS = 500
KEY_CHARS = 200
# A gap whose answer the parent replaced with one of the "Not what you asked?" choices.
NEAR_MISS = "near_miss"


class FeedbackRepository:
    """'Was this helpful?' counts per entry."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, entry_id: str, helpful: bool, at: datetime) -> AnswerFeedback:
        """Add one vote for an entry, at a time."""
        row = await self.session.get(AnswerFeedback, entry_id)
        if row is None:
            row = AnswerFeedback(entry_id=entry_id, helpful=0, not_helpful=0)
            self.session.add(row)
        if helpful:
            row.helpful += 1
        else:
            row.not_helpful += 1
        row.updated_at = at
        await self.session.flush()
        return row

    async def counts(self) -> dict[str, tuple[int, int]]:
        """Every entry's (helpful, not helpful) counts."""
        rows = (await self.session.execute(select(AnswerFeedback))).scalars().all()
        return {r.entry_id: (r.helpful, r.not_helpful) for r in rows}


@dataclass(frozen=True)
class GapSummary:
    """One redacted question and how often it was asked."""

    question: str
    count: int
    first: datetime
    last: datetime
    outcome: str


class GapRepository:
    """Questions the bot could not answer confidently, already redacted."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        question: str,
        key: str,
        outcome: str,
        top_entry: str | None,
        score: float,
        at: datetime,
    ) -> KnowledgeGap:
        """Store one redacted question."""
        row = KnowledgeGap(
            asked_at=at,
            outcome=outcome,
            question=question[:QUESTION_CHARS],
            question_key=key[:KEY_CHARS],
            top_entry=top_entry,
            score=float(score),
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def near_miss(self, gap_id: int, chosen: str) -> bool:
        """Mark a stored question as answered wrongly, with the entry the parent chose."""
        row = await self.session.get(KnowledgeGap, gap_id)
        if row is None:
            return False
        row.outcome = NEAR_MISS
        row.top_entry = chosen
        await self.session.flush()
        return True

    async def most_frequent(
        self, since: datetime | None = None, limit: int = 20
    ) -> list[GapSummary]:
        """The most often asked gap questions, with counts and first and last dates."""
        query = select(
            KnowledgeGap.question_key,
            func.count().label("n"),
            func.min(KnowledgeGap.asked_at).label("first"),
            func.max(KnowledgeGap.asked_at).label("last"),
            func.max(KnowledgeGap.question).label("question"),
            func.max(KnowledgeGap.outcome).label("outcome"),
        ).group_by(KnowledgeGap.question_key)
        if since is not None:
            query = query.where(KnowledgeGap.asked_at >= since)
        query = query.order_by(func.count().desc(), func.max(KnowledgeGap.asked_at).desc())
        rows = (await self.session.execute(query.limit(limit))).all()
        return [
            GapSummary(
                question=row.question,
                count=int(row.n),
                first=_aware(row.first),
                last=_aware(row.last),
                outcome=row.outcome,
            )
            for row in rows
        ]

    async def purge(self, before: datetime) -> int:
        """Delete gap questions asked before a time; return how many."""
        result = await self.session.execute(
            delete(KnowledgeGap).where(KnowledgeGap.asked_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _aware(value: datetime | str) -> datetime:
    """Aggregates bypass the column type on SQLite: read them back as UTC datetimes."""
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
