"""The audit log as the console's viewer shows it: newest first, filtered, with its check."""

from __future__ import annotations

from sqlalchemy import select

from sendbot.core.audit import Verdict, verify
from sendbot.core.keyring import Keyring
from sendbot.storage.models import AuditRecord
from sendbot.storage.unit_of_work import UnitOfWork

SHOWN = 200


async def recent(
    uow: UnitOfWork,
    actor: str | None = None,
    subject: str | None = None,
    action: str | None = None,
    limit: int = SHOWN,
) -> list[AuditRecord]:
    """The newest records matching the filters (subject: a ticket or case reference)."""
    query = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditRecord.actor == actor)
    if subject:
        query = query.where(AuditRecord.subject_id == subject)
    if action:
        query = query.where(AuditRecord.action == action)
    return list((await uow.session.execute(query)).scalars())


async def check(uow: UnitOfWork, keyring: Keyring) -> Verdict:
    """`sendbot audit verify`'s verdict on the whole chain."""
    return await verify(uow.session, keyring)
