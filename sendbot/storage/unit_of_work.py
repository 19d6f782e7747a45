"""A unit of work per inbound message: one transaction, committed or rolled back."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sendbot.storage.answers import FeedbackRepository, GapRepository
from sendbot.storage.case_repository import CaseRepository
from sendbot.storage.repositories import (
    ConversationRepository,
    LeaseRepository,
    UpdateRepository,
)
from sendbot.storage.ticket_repository import TicketRepository


class UnitOfWork:
    """Holds one session and the repositories that share it."""

    session: AsyncSession
    conversations: ConversationRepository
    cases: CaseRepository
    feedback: FeedbackRepository
    gaps: GapRepository
    tickets: TicketRepository
    updates: UpdateRepository
    leases: LeaseRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.conversations = ConversationRepository(self.session)
        self.cases = CaseRepository(self.session)
        self.feedback = FeedbackRepository(self.session)
        self.gaps = GapRepository(self.session)
        self.tickets = TicketRepository(self.session)
        self.updates = UpdateRepository(self.session)
        self.leases = LeaseRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self.session.commit()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        """Commit now, keeping the unit of work open."""
        await self.session.commit()
