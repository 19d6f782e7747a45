"""Console accounts and sessions: found only by keyed hashes, never by plain values."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sendbot.storage.models import ConsoleAccount, ConsoleSession, Officer


class ConsoleRepository:
    """Reads and writes of the console's accounts and sessions."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def account_by_email(self, email_key: str) -> ConsoleAccount | None:
        """An account by the keyed hash of its e-mail."""
        query = select(ConsoleAccount).where(ConsoleAccount.email_key == email_key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def account(self, account_id: int) -> ConsoleAccount | None:
        """An account by its id."""
        return await self.session.get(ConsoleAccount, account_id)

    async def account_by_setup(self, setup_hash: str) -> ConsoleAccount | None:
        """An account by the keyed hash of its set-up link's token."""
        query = select(ConsoleAccount).where(ConsoleAccount.setup_hash == setup_hash)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def account_of(self, officer_id: int) -> ConsoleAccount | None:
        """An officer's account, if they have one."""
        query = select(ConsoleAccount).where(ConsoleAccount.officer_id == officer_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_account(self, account: ConsoleAccount) -> ConsoleAccount:
        """Store a new account."""
        self.session.add(account)
        await self.session.flush()
        return account

    async def add_session(self, session: ConsoleSession) -> ConsoleSession:
        """Store a new signed-in session."""
        self.session.add(session)
        await self.session.flush()
        return session

    async def live_session(
        self, token_hash: str
    ) -> tuple[ConsoleSession, ConsoleAccount, Officer] | None:
        """A session not yet ended, with its account and officer, by its token's hash."""
        query = (
            select(ConsoleSession, ConsoleAccount, Officer)
            .join(ConsoleAccount, ConsoleAccount.id == ConsoleSession.account_id)
            .join(Officer, Officer.id == ConsoleAccount.officer_id)
            .where(ConsoleSession.token_hash == token_hash, ConsoleSession.ended_at.is_(None))
        )
        row = (await self.session.execute(query)).first()
        return None if row is None else (row[0], row[1], row[2])

    async def end_sessions(self, account_id: int, now: datetime) -> int:
        """End every live session of an account; how many there were."""
        result = await self.session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.account_id == account_id, ConsoleSession.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
