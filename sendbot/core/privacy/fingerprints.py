"""Key fingerprints: the database remembers which keys its data is under, and checks them.

A process whose keys are not the database's would write data nobody can link or read
(link codes that never match, chats that look new, values no key decrypts); it refuses
to start instead. Fingerprints are keyed hashes of a constant, safe to store and show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from sendbot.core.keyring import KeyMissing, Keyring
from sendbot.storage.db import Database
from sendbot.storage.models import Case, Conversation, KeyFingerprint
from sendbot.storage.repositories import insert_ignoring_conflicts
from sendbot.storage.unit_of_work import UnitOfWork

HASH = "hash"
ENCRYPT = "encrypt:"
SHOWN = 12  # hex characters of a fingerprint shown to people


class KeyMismatch(KeyMissing):
    """The configured keys are not the keys the database's data is under."""


def short(fingerprint: str) -> str:
    """The part of a fingerprint shown in messages and `sendbot keys status`."""
    return fingerprint[:SHOWN]


@dataclass(frozen=True)
class RecordedKeys:
    """The fingerprints the database holds: its hashing key and its encryption keys."""

    hash: str | None
    encryption: frozenset[str]


async def recorded_keys(uow: UnitOfWork) -> RecordedKeys:
    """What the database recorded."""
    rows = (await uow.session.execute(select(KeyFingerprint))).scalars().all()
    hashed = next((row.fingerprint for row in rows if row.name == HASH), None)
    encryption = frozenset(row.fingerprint for row in rows if row.name.startswith(ENCRYPT))
    return RecordedKeys(hashed, encryption)


async def _stored_tokens_readable(uow: UnitOfWork, keyring: Keyring, sample: int = 20) -> bool:
    """For data from before fingerprints: whether any sampled stored value decrypts (or none)."""
    tokens: list[str] = []
    for column, key in ((Conversation.chat_ref, Conversation.id), (Case.child_name, Case.id)):
        query = select(column).where(column.is_not(None)).order_by(key.desc()).limit(sample)
        tokens.extend(str(value) for value in (await uow.session.execute(query)).scalars())
    return not tokens or any(keyring.reveal(token) is not None for token in tokens)


def _mismatch(what: str) -> KeyMismatch:
    return KeyMismatch(
        f"the configured keys do not match this database: {what}. Nothing was changed. "
        "Use the SENDBOT_SECRET_KEY (and SENDBOT_HASH_KEY, SENDBOT_OLD_SECRET_KEYS) the "
        "database was used with; `sendbot keys status` shows both sets of fingerprints."
    )


async def check_keys(database: Database, keyring: Keyring, now: datetime) -> None:
    """Refuse keys that do not match the database's; record the keys of a new database.

    The hashing key must be the recorded one; every recorded encryption key must be
    configured (newest or old); the newest configured key is recorded, as data will be
    written under it.
    """
    async with database.unit_of_work() as uow:
        before = await recorded_keys(uow)
        if before.hash is None and not await _stored_tokens_readable(uow, keyring):
            raise _mismatch("no configured key can read the data stored")
        await uow.session.execute(
            insert_ignoring_conflicts(
                uow.session,
                KeyFingerprint,
                name=HASH,
                fingerprint=keyring.hash_fingerprint,
                recorded_at=now,
            )
        )
        recorded = await recorded_keys(uow)
        if recorded.hash != keyring.hash_fingerprint:
            raise _mismatch(
                f"its hashing key is {short(recorded.hash or '')}, the one configured is "
                f"{short(keyring.hash_fingerprint)}"
            )
        missing = sorted(recorded.encryption - set(keyring.encryption_fingerprints))
        if missing:
            raise _mismatch(
                "data is encrypted under key(s) "
                + ", ".join(short(fingerprint) for fingerprint in missing)
                + " that are not configured"
            )
        newest = keyring.encryption_fingerprints[0]
        await uow.session.execute(
            insert_ignoring_conflicts(
                uow.session,
                KeyFingerprint,
                name=ENCRYPT + newest,
                fingerprint=newest,
                recorded_at=now,
            )
        )


async def retire_old_keys(database: Database, keyring: Keyring) -> int:
    """Forget every encryption key but the newest, once nothing is left under them."""
    newest = keyring.encryption_fingerprints[0]
    async with database.unit_of_work() as uow:
        result = await uow.session.execute(
            delete(KeyFingerprint).where(
                KeyFingerprint.name.startswith(ENCRYPT), KeyFingerprint.fingerprint != newest
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)
