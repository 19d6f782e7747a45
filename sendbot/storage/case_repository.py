"""Cases, their events, parent links, link codes and failed link attempts.

Every read a parent's chat can trigger is scoped by the chat's key: a chat only ever reaches
the cases linked to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from sendbot.storage.models import Case, CaseEvent, CaseLink, LinkCode, LinkFailure

CHUNK = 500  # ids or references per IN (...) list
# Bulk writes go through the tables (Core executemany), not the ORM's bulk path.
CASES = cast(Table, Case.__table__)
EVENTS = cast(Table, CaseEvent.__table__)
CODES = cast(Table, LinkCode.__table__)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    """Slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CaseRepository:
    """Storage of cases and of who may see them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Parent-facing reads, always through the chat's links.

    async def linked_cases(self, chat_key: str) -> list[Case]:
        """The cases linked to a chat, oldest link first."""
        query = (
            select(Case)
            .join(CaseLink, CaseLink.case_id == Case.id)
            .where(CaseLink.chat_key == chat_key)
            .order_by(CaseLink.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def linked_case(self, chat_key: str, case_id: int) -> Case | None:
        """One case, only if it is linked to the chat."""
        query = (
            select(Case)
            .join(CaseLink, CaseLink.case_id == Case.id)
            .where(CaseLink.chat_key == chat_key, Case.id == case_id)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def link_count(self, case_id: int) -> int:
        """How many chats are linked to a case."""
        query = select(func.count()).select_from(CaseLink).where(CaseLink.case_id == case_id)
        return int((await self.session.execute(query)).scalar_one())

    async def is_linked(self, case_id: int, chat_key: str) -> bool:
        """Whether a chat is already linked to a case."""
        query = select(CaseLink.id).where(
            CaseLink.case_id == case_id, CaseLink.chat_key == chat_key
        )
        return (await self.session.execute(query)).first() is not None

    async def add_link(
        self, case_id: int, chat_key: str, channel: str, chat_ref: str | None, at: datetime
    ) -> CaseLink:
        """Link a chat to a case."""
        link = CaseLink(
            case_id=case_id, chat_key=chat_key, channel=channel, chat_ref=chat_ref, created_at=at
        )
        self.session.add(link)
        await self.session.flush()
        return link

    async def remove_link(self, case_id: int, chat_key: str) -> bool:
        """Unlink a chat from a case; True if there was a link."""
        result = await self.session.execute(
            delete(CaseLink).where(CaseLink.case_id == case_id, CaseLink.chat_key == chat_key)
        )
        return bool(getattr(result, "rowcount", 0))

    async def links_for(self, case_ids: Sequence[int]) -> dict[int, list[CaseLink]]:
        """Every link of the given cases, by case id."""
        found: dict[int, list[CaseLink]] = {}
        for part in chunks(list(case_ids)):
            query = select(CaseLink).where(CaseLink.case_id.in_(part)).order_by(CaseLink.id)
            for link in (await self.session.execute(query)).scalars():
                found.setdefault(link.case_id, []).append(link)
        return found

    # Codes and failed attempts.

    async def find_code(self, code_hash: str) -> LinkCode | None:
        """A link code by its hash, whatever its state."""
        query = select(LinkCode).where(LinkCode.code_hash == code_hash)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_codes(self, rows: list[dict[str, Any]]) -> None:
        """Store codes (case_id, code_hash, created_at, expires_at) in bulk."""
        for part in chunks(rows, 1000):
            await self.session.execute(insert(CODES), list(part))

    async def code_failures(self, code_id: int) -> int:
        """How many wrong dates of birth were given with a code, from any chat."""
        query = select(func.count()).select_from(LinkFailure).where(LinkFailure.code_id == code_id)
        return int((await self.session.execute(query)).scalar_one())

    async def record_failure(self, chat_key: str, at: datetime, code_id: int | None) -> None:
        """Remember one failed attempt."""
        self.session.add(LinkFailure(chat_key=chat_key, at=at, code_id=code_id))
        await self.session.flush()

    async def purge_failures(self, before: datetime) -> int:
        """Forget failed attempts older than a time."""
        result = await self.session.execute(delete(LinkFailure).where(LinkFailure.at < before))
        return int(getattr(result, "rowcount", 0) or 0)

    # Officer and import side.

    async def by_reference(self, reference: str) -> Case | None:
        """A case by the council's reference."""
        query = select(Case).where(Case.reference == reference)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def digests_for(self, references: Sequence[str]) -> dict[str, tuple[int, str]]:
        """(id, row digest) of the cases with these references."""
        found: dict[str, tuple[int, str]] = {}
        for part in chunks(list(references)):
            query = select(Case.reference, Case.id, Case.row_digest).where(Case.reference.in_(part))
            for reference, case_id, digest in (await self.session.execute(query)).all():
                found[reference] = (case_id, digest)
        return found

    async def cases_by_id(self, case_ids: Sequence[int]) -> dict[int, Case]:
        """Full cases by id."""
        found: dict[int, Case] = {}
        for part in chunks(list(case_ids)):
            for case in (
                await self.session.execute(select(Case).where(Case.id.in_(part)))
            ).scalars():
                found[case.id] = case
        return found

    async def insert_cases(self, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Insert cases in bulk (one executemany); return their ids by reference."""
        if not rows:
            return {}
        await self.session.execute(insert(CASES), rows)
        return {
            ref: case_id
            for ref, (case_id, _) in (
                await self.digests_for([row["reference"] for row in rows])
            ).items()
        }

    async def insert_events(self, rows: list[dict[str, Any]]) -> None:
        """Insert events in bulk (one executemany)."""
        if rows:
            await self.session.execute(insert(EVENTS), rows)

    async def add_event(self, row: dict[str, Any]) -> int:
        """Insert one event and return its id."""
        statement = insert(EVENTS).values(**row).returning(EVENTS.c.id)
        return int((await self.session.execute(statement)).scalar_one())

    async def events_of_kind(self, case_ids: Sequence[int], kind: str) -> list[CaseEvent]:
        """The events of one kind for some cases."""
        found: list[CaseEvent] = []
        for part in chunks(list(case_ids)):
            query = select(CaseEvent).where(CaseEvent.case_id.in_(part), CaseEvent.kind == kind)
            found.extend((await self.session.execute(query)).scalars())
        return found

    async def history(self, case_id: int) -> list[CaseEvent]:
        """A case's events, oldest first."""
        query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        return list((await self.session.execute(query)).scalars())

    async def unlinked_cases(self) -> list[tuple[int, str]]:
        """(id, reference) of every case no chat is linked to, by reference."""
        linked = select(CaseLink.id).where(CaseLink.case_id == Case.id).exists()
        query = select(Case.id, Case.reference).where(~linked).order_by(Case.reference)
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]

    async def linked_case_ids(self, after: int = 0, limit: int = 1000) -> list[int]:
        """Ids of cases with at least one link, in id order, a page at a time."""
        query = (
            select(CaseLink.case_id)
            .where(CaseLink.case_id > after)
            .group_by(CaseLink.case_id)
            .order_by(CaseLink.case_id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())
