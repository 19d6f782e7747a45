"""Officers as people (number, name, role), their channels and their invite codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from sendbot.storage.base_repository import SessionRepository
from sendbot.storage.models import Officer, OfficerChannel, OfficerInvite, Ticket
from sendbot.storage.ticket_repository import OPEN_STATUSES


def officer_actor(officer_id: int) -> str:
    """How an officer is named in the audit log."""
    return f"officer:{officer_id}"


class OfficerRepository(SessionRepository):
    """Storage of officers, the channels they are reached on, and invites to become one."""

    async def add_invite(self, code_hash: str, role: str, at: datetime, expires: datetime) -> None:
        """Store a new invite code's hash."""
        self.session.add(
            OfficerInvite(code_hash=code_hash, role=role, created_at=at, expires_at=expires)
        )
        await self.session.flush()

    async def use_invite(self, code_hash: str, now: datetime) -> OfficerInvite | None:
        """Spend a valid invite atomically; None if unknown, used or expired."""
        result = await self.session.execute(
            update(OfficerInvite)
            .where(
                OfficerInvite.code_hash == code_hash,
                OfficerInvite.used_at.is_(None),
                OfficerInvite.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 0):
            return None
        query = select(OfficerInvite).where(OfficerInvite.code_hash == code_hash)
        return (await self.session.execute(query)).scalar_one()

    async def by_key(self, officer_key: str) -> Officer | None:
        """An active officer by the keyed hash of their id on one of their channels."""
        query = (
            select(Officer)
            .join(OfficerChannel, OfficerChannel.officer_id == Officer.id)
            .where(OfficerChannel.officer_key == officer_key, Officer.active.is_(True))
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def any_by_key(self, officer_key: str) -> Officer | None:
        """An officer by key, active or not."""
        found = await self.channel_by_key(officer_key)
        return await self.get(found.officer_id) if found is not None else None

    async def channel_by_key(self, officer_key: str) -> OfficerChannel | None:
        """One officer channel by its keyed hash."""
        query = select(OfficerChannel).where(OfficerChannel.officer_key == officer_key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get(self, officer_id: int) -> Officer | None:
        """An officer by id."""
        return await self.session.get(Officer, officer_id)

    async def add(self, officer: Officer) -> Officer:
        """Store a new officer."""
        self.session.add(officer)
        await self.session.flush()
        return officer

    async def all(self, active_only: bool = True) -> list[Officer]:
        """Every officer, by id."""
        query = select(Officer).order_by(Officer.id)
        if active_only:
            query = query.where(Officer.active.is_(True))
        return list((await self.session.execute(query)).scalars())

    async def remove(self, officer_id: int) -> int | None:
        """Deactivate an officer and put their open tickets back unclaimed; None if unknown."""
        officer = await self.session.get(Officer, officer_id)
        if officer is None:
            return None
        officer.active = False
        result = await self.session.execute(
            update(Ticket)
            .where(Ticket.officer_id == officer_id, Ticket.status == "claimed")
            .values(status="open", officer_id=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )
        await self.session.flush()
        return int(getattr(result, "rowcount", 0) or 0)

    async def open_counts(self) -> dict[int, int]:
        """How many open tickets each officer holds."""
        query = (
            select(Ticket.officer_id, func.count())
            .where(Ticket.status.in_(OPEN_STATUSES), Ticket.officer_id.is_not(None))
            .group_by(Ticket.officer_id)
        )
        rows = (await self.session.execute(query)).all()
        return {int(o): int(n) for o, n in rows if o is not None}

    async def leads_locked(self) -> list[Officer]:
        """Active leads, each row locked for this transaction (skipping rows others hold)."""
        query = (
            select(Officer)
            .where(Officer.role == "lead", Officer.active.is_(True))
            .order_by(Officer.id)
        )
        return list((await self.session.execute(self._skip_locked(query))).scalars())
