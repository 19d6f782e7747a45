"""What every repository holds: its session, and row locks that skip rows others hold."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


class SessionRepository:
    """A repository on one unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _skip_locked(self, query: Select[T]) -> Select[T]:
        """Lock the selected rows on PostgreSQL, skipping rows another process holds."""
        if self.session.get_bind().dialect.name == "postgresql":
            return query.with_for_update(skip_locked=True)
        return query
