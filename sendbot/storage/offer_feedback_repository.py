"""Local Offer feedback ("you said, we did"): what parents said and what the council did."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from sendbot.storage.base_repository import SessionRepository
from sendbot.storage.models import OfferFeedback


class OfferFeedbackRepository(SessionRepository):
    """Storage of Local Offer feedback, kept as the keyring's ciphertext."""

    async def add(self, feedback: OfferFeedback) -> OfferFeedback:
        """Store one piece of Local Offer feedback."""
        self.session.add(feedback)
        await self.session.flush()
        return feedback

    async def in_period(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[OfferFeedback]:
        """Every piece of Local Offer feedback in a period, oldest first (for the export)."""
        query = select(OfferFeedback).order_by(OfferFeedback.received_at, OfferFeedback.id)
        if since is not None:
            query = query.where(OfferFeedback.received_at >= since)
        if until is not None:
            query = query.where(OfferFeedback.received_at < until)
        return list((await self.session.execute(query)).scalars())

    async def latest(self, limit: int) -> list[OfferFeedback]:
        """The newest Local Offer feedback, newest first."""
        query = (
            select(OfferFeedback)
            .order_by(OfferFeedback.received_at.desc(), OfferFeedback.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def count(self) -> int:
        """How many pieces of Local Offer feedback are held."""
        query = select(func.count()).select_from(OfferFeedback)
        return int((await self.session.execute(query)).scalar_one())

    async def by_reference(self, reference: str) -> OfferFeedback | None:
        """One piece of feedback by reference."""
        query = select(OfferFeedback).where(OfferFeedback.reference == reference)
        return (await self.session.execute(query)).scalar_one_or_none()
