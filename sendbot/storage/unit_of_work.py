"""A unit of work per inbound message: one transaction, committed or rolled back."""

from __future__ import annotations

import asyncio
from types import TracebackType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sendbot.storage.answers import FeedbackRepository, GapRepository
from sendbot.storage.case_repository import CaseRepository
from sendbot.storage.console_repository import ConsoleRepository
from sendbot.storage.offer_feedback_repository import OfferFeedbackRepository
from sendbot.storage.officer_repository import OfficerRepository
from sendbot.storage.oidc_repository import OidcRepository
from sendbot.storage.parent_records import ParentRecordsRepository
from sendbot.storage.repositories import (
    ConversationRepository,
    LeaseRepository,
    UpdateRepository,
)
from sendbot.storage.ticket_repository import TicketRepository
from sendbot.storage.ticket_terms import TermRepository


class WriterTurns:
    """Units of work on one SQLite database take turns within this process.

    SQLite lets one transaction write at a time; a second writer polls the file lock,
    sleeping up to 100 ms between tries, which turns a busy moment into seconds of delay.
    Waiting in line on an asyncio lock instead costs nothing. A unit of work opened inside
    another in the same task does not wait for itself. Several processes on one SQLite file
    still meet SQLite's busy timeout; a shared deployment uses PostgreSQL.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None

    async def enter(self) -> bool:
        """Wait for this task's turn; False when the task holds it already (nested)."""
        task = asyncio.current_task()
        if task is not None and task is self._holder:
            return False
        await self._lock.acquire()
        self._holder = task
        return True

    def leave(self) -> None:
        """End this task's turn."""
        self._holder = None
        self._lock.release()


class UnitOfWork:
    """Holds one session and the repositories that share it."""

    session: AsyncSession
    conversations: ConversationRepository
    cases: CaseRepository
    console: ConsoleRepository
    feedback: FeedbackRepository
    gaps: GapRepository
    officers: OfficerRepository
    offer_feedback: OfferFeedbackRepository
    parent_records: ParentRecordsRepository
    oidc: OidcRepository
    tickets: TicketRepository
    updates: UpdateRepository
    leases: LeaseRepository

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], turns: WriterTurns | None = None
    ) -> None:
        self._sessions = sessions
        self._turns = turns
        self._has_turn = False
        self._committing = False

    async def __aenter__(self) -> UnitOfWork:
        if self._turns is not None:
            self._has_turn = await self._turns.enter()
        self.session = self._sessions()
        self.conversations = ConversationRepository(self.session)
        self.cases = CaseRepository(self.session)
        self.console = ConsoleRepository(self.session)
        self.feedback = FeedbackRepository(self.session)
        self.gaps = GapRepository(self.session)
        self.officers = OfficerRepository(self.session)
        self.offer_feedback = OfferFeedbackRepository(self.session)
        self.parent_records = ParentRecordsRepository(self.session)
        self.oidc = OidcRepository(self.session)
        self.tickets = TicketRepository(self.session)
        self.terms = TermRepository(self.session)
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
                await self.commit()
            else:
                await self.session.rollback()
        finally:
            # The transaction is over: the next writer may start while the connection goes
            # back to the pool.
            if self._has_turn and self._turns is not None:
                self._has_turn = False
                self._turns.leave()
            await self.session.close()

    async def commit(self) -> None:
        """Commit now, keeping the unit of work open."""
        self._committing = True
        await self.session.commit()

    def may_run_again(self, error: BaseException) -> bool:
        """Whether the work failed only because its connection was closed, before any commit.

        Pooled connections are not tested before use (that costs three round trips to
        PostgreSQL per unit of work); one the server closed fails at its first statement,
        SQLAlchemy then replaces every pooled connection, and the work, which changed
        nothing, can run again. Once a commit has been sent its outcome is unknown, so not.
        """
        lost = isinstance(error, DBAPIError) and error.connection_invalidated
        return lost and not self._committing
