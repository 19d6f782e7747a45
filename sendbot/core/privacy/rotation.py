"""Key rotation: re-encrypt every encrypted column under the newest key, in small batches.

The keyring reads tokens made under any listed key and writes under the newest, so the bot
keeps running while this walks the tables; each batch is its own short transaction, and a
value the bot rewrote meanwhile is left alone (it is already under the newest key).
Keyed hashes are not touched: they use the separate, stable hashing key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Column, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sendbot.core.keyring import Keyring
from sendbot.core.outbox import FERNET_PREFIX
from sendbot.core.privacy.fingerprints import retire_old_keys
from sendbot.storage.db import Database
from sendbot.storage.models import Base, Conversation

log = logging.getLogger(__name__)

Kind = Literal["token", "json"]

# Every column that holds Fernet tokens ("token") or JSON with tokens inside it ("json").
ENCRYPTED_COLUMNS: tuple[tuple[str, str, Kind], ...] = (
    ("conversations", "chat_ref", "token"),
    ("conversations", "data", "json"),
    ("case_links", "chat_ref", "token"),
    ("cases", "child_name", "token"),
    ("outbox", "chat_ref", "token"),
    ("outbox", "html", "token"),
    ("outbox", "buttons", "json"),
    ("outbox", "document", "token"),
    ("officer_channels", "chat_ref", "token"),
    ("tickets", "parent_ref", "token"),
    ("tickets", "body", "token"),
    ("tickets", "case_ref", "token"),
    ("ticket_messages", "body", "token"),
    ("offer_feedback", "text", "token"),
    ("offer_feedback", "response", "token"),
    ("console_accounts", "email", "token"),
    ("console_accounts", "totp_secret", "token"),
    ("ticket_notes", "body", "token"),
    ("web_messages", "body", "token"),
    ("console_oidc_logins", "nonce", "token"),
    ("console_oidc_logins", "code_verifier", "token"),
)


@dataclass
class ColumnCount:
    """What one column holds: values under the newest key, older keys, unreadable, plain."""

    current: int = 0
    rotated: int = 0
    old: int = 0
    unreadable: int = 0
    skipped: int = 0  # empty or plain values, which hold no token


@dataclass
class RotationReport:
    """What a rotation (or a dry run) found and did, column by column."""

    columns: dict[str, ColumnCount] = field(default_factory=dict)

    @property
    def unreadable(self) -> int:
        """Values no listed key can decrypt."""
        return sum(c.unreadable for c in self.columns.values())

    @property
    def old(self) -> int:
        """Values still under an older key."""
        return sum(c.old for c in self.columns.values())

    @property
    def rotated(self) -> int:
        """Values re-encrypted."""
        return sum(c.rotated for c in self.columns.values())


def encrypted_columns() -> list[tuple[Table, Column[Any], Kind]]:
    """The encrypted columns of the tables this version of the code knows."""
    tables = Base.metadata.tables
    found: list[tuple[Table, Column[Any], Kind]] = []
    for table_name, column_name, kind in ENCRYPTED_COLUMNS:
        table = tables.get(table_name)
        if table is not None and column_name in table.c:
            found.append((table, table.c[column_name], kind))
    return found


def looks_encrypted(value: object) -> bool:
    """Whether a value is shaped like a Fernet token."""
    return isinstance(value, str) and value.startswith(FERNET_PREFIX) and len(value) >= 100


def _tokens(value: Any) -> Iterator[str]:
    """Every token inside a JSON value."""
    if looks_encrypted(value):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tokens(item)
    elif isinstance(value, list):
        for item in value:
            yield from _tokens(item)


def _rotate_json(value: Any, keyring: Keyring) -> Any:
    """A JSON value with every token in it re-encrypted under the newest key."""
    if looks_encrypted(value):
        return value if keyring.is_current(value) else keyring.rotate(value)
    if isinstance(value, dict):
        return {key: _rotate_json(item, keyring) for key, item in value.items()}
    if isinstance(value, list):
        return [_rotate_json(item, keyring) for item in value]
    return value


def _json_state(value: Any, keyring: Keyring) -> str:
    """A JSON value's tokens: 'current', 'old', 'unreadable' or 'skipped' (none at all)."""
    tokens = list(_tokens(value))
    if not tokens:
        return "skipped"
    state = "current"
    for token in tokens:
        if keyring.is_current(token):
            continue
        try:
            keyring.decrypt(token)
        except ValueError:
            return "unreadable"
        state = "old"
    return state


def _primary_key(table: Table) -> Column[Any]:
    """The table's single-column primary key."""
    columns = list(table.primary_key.columns)
    if len(columns) != 1:
        raise ValueError(f"{table.name}: rotation needs a single-column primary key")
    return columns[0]


async def rotate_keys(
    database: Database, keyring: Keyring, batch: int = 500, dry_run: bool = False
) -> RotationReport:
    """Re-encrypt every old token under the newest key; with dry_run, only count."""
    report = RotationReport()
    for table, column, kind in encrypted_columns():
        counts = report.columns.setdefault(f"{table.name}.{column.name}", ColumnCount())
        key = _primary_key(table)
        after: Any = None
        while True:
            async with database.unit_of_work() as uow:
                query = select(key, column).order_by(key).limit(batch)
                if after is not None:
                    query = query.where(key > after)
                rows = (await uow.session.execute(query)).all()
                if not rows:
                    break
                after = rows[-1][0]
                if kind == "token":
                    await _rotate_tokens(uow.session, keyring, table, column, rows, counts, dry_run)
                    continue
                for row_id, value in rows:
                    state = _json_state(value, keyring)
                    if state == "old" and not dry_run:
                        state = await _rewrite_json(uow.session, keyring, table, column, row_id)
                    setattr(counts, state, getattr(counts, state) + 1)
    if not dry_run and not report.unreadable:
        # Nothing is left under an old key: the database no longer needs one configured.
        await retire_old_keys(database, keyring)
    if report.rotated or report.unreadable:
        log.info("key rotation: %d re-encrypted, %d unreadable", report.rotated, report.unreadable)
    return report


def _unchanged_on_update(table: Table) -> dict[str, Any]:
    """Columns that change on every update (updated_at), set to themselves.

    Re-encrypting is not activity and must not postpone a retention period.
    """
    return {c.name: c for c in table.c if c.onupdate is not None}


async def _rotate_tokens(
    session: AsyncSession,
    keyring: Keyring,
    table: Table,
    column: Column[Any],
    rows: Sequence[Any],
    counts: ColumnCount,
    dry_run: bool,
) -> None:
    """Re-encrypt one batch of a token column with one statement.

    Each row is updated only if it still holds the token read: a value the bot rewrote
    meanwhile is already under the newest key and is left as the bot wrote it.
    """
    changes: list[dict[str, Any]] = []
    for row_id, value in rows:
        if not looks_encrypted(value):
            counts.skipped += 1
        elif keyring.is_current(value):
            counts.current += 1
        else:
            try:
                new = keyring.rotate(value)
            except ValueError:
                counts.unreadable += 1
                continue
            changes.append({"row_id": row_id, "old_token": value, "new_token": new})
    if dry_run:
        counts.old += len(changes)
        return
    if not changes:
        return
    key = _primary_key(table)
    statement = (
        update(table)
        .where(key == bindparam("row_id"), column == bindparam("old_token"))
        .values({column.name: bindparam("new_token"), **_unchanged_on_update(table)})
    )
    result = await session.execute(statement, changes)
    done = int(getattr(result, "rowcount", -1))
    done = len(changes) if done < 0 else done
    counts.rotated += done
    counts.current += len(changes) - done


async def _rewrite_json(
    session: AsyncSession, keyring: Keyring, table: Table, column: Column[Any], row_id: Any
) -> str:
    """Lock one row, read its JSON afresh and re-encrypt its tokens; return the outcome.

    JSON cannot be compared portably in an UPDATE's WHERE; instead a write that changes
    nothing takes the row's lock (PostgreSQL) or the database's write lock (SQLite), so the
    value read next cannot change before it is rewritten.
    """
    key = _primary_key(table)
    keep = _unchanged_on_update(table)
    await session.execute(update(table).where(key == row_id).values({key.name: key, **keep}))
    value = (await session.execute(select(column).where(key == row_id))).scalar_one_or_none()
    state = _json_state(value, keyring)
    if state != "old":
        return state
    new = _rotate_json(value, keyring)
    await session.execute(update(table).where(key == row_id).values({column.name: new, **keep}))
    return "rotated"


async def hashes_match(database: Database, keyring: Keyring, sample: int = 20) -> tuple[int, int]:
    """(checked, matching): do stored chat keys still match the hashing key in use?

    Each conversation keeps its chat id encrypted; its chat key must be the keyed hash of
    that id. If none match, the hashing key changed and chats would not be found.
    """
    async with database.unit_of_work() as uow:
        query = (
            select(Conversation.chat_key, Conversation.channel, Conversation.chat_ref)
            .where(Conversation.chat_ref.is_not(None))
            .order_by(Conversation.id.desc())
            .limit(sample)
        )
        rows = (await uow.session.execute(query)).all()
    checked = matching = 0
    for chat_key, channel, chat_ref in rows:
        try:
            chat_id = keyring.decrypt(str(chat_ref))
        except ValueError:
            continue
        checked += 1
        matching += int(keyring.chat_key(channel, chat_id) == chat_key)
    return checked, matching
