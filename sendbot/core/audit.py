"""The audit log: append-only and hash-chained, so edits, removals and reorders show."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sendbot.core.keyring import Keyring
from sendbot.storage.models import AuditHead, AuditRecord

GENESIS = "0" * 64
_LOCK_ID = 0x5E4D_A0D1  # PostgreSQL advisory lock serialising appends across processes


def _mac(key: bytes, payload: dict[str, Any]) -> str:
    """HMAC-SHA256 over a canonical JSON encoding."""
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hmac.new(key, encoded, hashlib.sha256).hexdigest()


def row_hash(key: bytes, row: AuditRecord) -> str:
    """The hash a row must carry: its content, its position and the previous hash."""
    return _mac(
        key,
        {
            "id": row.id,
            "at": row.at.isoformat(),
            "actor": row.actor,
            "action": row.action,
            "subject_type": row.subject_type,
            "subject_id": row.subject_id,
            "detail": row.detail,
            "prev": row.prev_hash,
        },
    )


def head_mac(key: bytes, last_id: int, last_hash: str) -> str:
    """The signature over the chain's end."""
    return _mac(key, {"last_id": last_id, "last_hash": last_hash})


async def append(
    session: AsyncSession,
    keyring: Keyring,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> AuditRecord:
    """Add one record at the end of the chain, inside the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _LOCK_ID})
    # Insert first: on SQLite this takes the write lock, so the read below sees the true end.
    row = AuditRecord(
        at=at,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail=detail or {},
        key_id=keyring.audit_key_id,
        prev_hash=f"pending-{uuid.uuid4().hex}"[:64],
        hash="",
    )
    session.add(row)
    await session.flush()
    previous = (
        await session.execute(
            select(AuditRecord.hash)
            .where(AuditRecord.id < row.id)
            .order_by(AuditRecord.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    key = keyring.audit_keys[keyring.audit_key_id]
    row.prev_hash = previous or GENESIS
    row.hash = row_hash(key, row)
    head = await session.get(AuditHead, 1)
    mac = head_mac(key, row.id, row.hash)
    if head is None:
        session.add(
            AuditHead(
                id=1, last_id=row.id, last_hash=row.hash, key_id=keyring.audit_key_id, mac=mac
            )
        )
    else:
        head.last_id, head.last_hash, head.key_id, head.mac = (
            row.id,
            row.hash,
            keyring.audit_key_id,
            mac,
        )
    await session.flush()
    return row


@dataclass(frozen=True)
class Verdict:
    """The result of checking the chain."""

    ok: bool
    checked: int
    bad_id: int | None = None
    reason: str = ""


async def verify(session: AsyncSession, keyring: Keyring, batch: int = 5000) -> Verdict:
    """Walk the chain in id order; name the first row that was edited, removed or moved."""
    expected_prev = GENESIS
    checked = 0
    last_id: int | None = None
    after = 0
    while True:
        rows: Sequence[AuditRecord] = (
            (
                await session.execute(
                    select(AuditRecord)
                    .where(AuditRecord.id > after)
                    .order_by(AuditRecord.id)
                    .limit(batch)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for row in rows:
            key = keyring.audit_keys.get(row.key_id)
            if key is None:
                return Verdict(False, checked, row.id, "signed with a key this keyring lacks")
            if row.prev_hash != expected_prev:
                return Verdict(False, checked, row.id, "does not follow the row before it")
            if not hmac.compare_digest(row.hash, row_hash(key, row)):
                return Verdict(False, checked, row.id, "content does not match its hash")
            expected_prev, last_id = row.hash, row.id
            checked += 1
        after = rows[-1].id
    head = await session.get(AuditHead, 1)
    if head is None:
        if checked:
            return Verdict(False, checked, last_id, "the signed end of the log is missing")
        return Verdict(True, 0)
    head_key = keyring.audit_keys.get(head.key_id)
    if head_key is None or not hmac.compare_digest(
        head.mac, head_mac(head_key, head.last_id, head.last_hash)
    ):
        return Verdict(False, checked, head.last_id, "the signed end of the log was altered")
    if head.last_id != last_id or head.last_hash != expected_prev:
        return Verdict(False, checked, head.last_id, "rows are missing from the end of the log")
    return Verdict(True, checked)


def _day_start(day: date) -> datetime:
    """Midnight UTC at the start of a day."""
    return datetime.combine(day, time.min, tzinfo=UTC)


async def search(
    session: AsyncSession,
    *,
    actor: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 500,
) -> list[AuditRecord]:
    """Records matching the filters, oldest first."""
    query = select(AuditRecord).order_by(AuditRecord.id)
    if actor:
        query = query.where(AuditRecord.actor == actor)
    if subject_type:
        query = query.where(AuditRecord.subject_type == subject_type)
    if subject_id:
        query = query.where(AuditRecord.subject_id == subject_id)
    if since:
        query = query.where(
            AuditRecord.at >= datetime.combine(since, datetime.min.time()).astimezone()
        )
    if until:
        query = query.where(
            AuditRecord.at < datetime.combine(until, datetime.max.time()).astimezone()
        )
    return list((await session.execute(query.limit(limit))).scalars())
