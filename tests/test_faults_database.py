"""Fault injection: the database's disk fills up, or turns read-only, while the bot runs.

The SQLite database lives on its own small tmpfs (mounted for the test; root is needed, as
in CI's container), filled to the last byte; read-only is SQLite's own switch
(`PRAGMA query_only`, on every connection), as a busy mount cannot be remounted read-only.
A message that cannot be written is answered with the apology, the
log says in plain words what is wrong, and nothing of it is half-written: no record that
the update was handled, no reply waiting, the chat's state as it was. Once there is room
again, the same update (sent again) and new ones are answered properly.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from sendbot.app import App, open_app
from sendbot.clock import FrozenClock
from sendbot.config import Settings
from sendbot.core.dialogue import Dialogue, Router, Turn
from sendbot.storage.models import Conversation, OutboxMessage, ProcessedUpdate
from tests.fakes.harness import PARENT_CHAT_ID, TelegramChat, debug_logging, telegram_bot
from tests.faults import tally
from tests.test_telegram_adapter import MESSAGES

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounting a tmpfs needs root (CI's container has it)"
)


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of its own at `folder`, unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Fill the disk to the last byte with one file; return it (delete it to make room)."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        chunk = b"\0" * 65536
        with contextlib.suppress(OSError):
            while True:
                out.write(chunk)
        with contextlib.suppress(OSError):  # the last few bytes
            while True:
                out.write(b"\0")
    return filler


async def read_only(app: App, on: bool) -> None:
    """Make every connection of the app read-only (or writable again)."""
    engine = app.database.engine.sync_engine
    if on:
        event.listen(engine, "connect", _query_only)
    else:
        event.remove(engine, "connect", _query_only)
    await app.database.engine.dispose()


def _query_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def numbered() -> Router:
    router = Router()

    @router.command("say")
    async def say(turn: Turn) -> None:
        turn.set_state(f"said {turn.inbound.argument}")
        turn.reply(f"reply {turn.inbound.argument}")

    return router


async def written(app: App) -> tuple[int, int, list[str]]:
    """Handled updates, outbox rows, and the chats' states."""
    async with app.database.unit_of_work() as uow:
        handled = await uow.session.execute(select(func.count(ProcessedUpdate.update_id)))
        rows = await uow.session.execute(select(func.count(OutboxMessage.id)))
        states = (await uow.session.execute(select(Conversation.state))).scalars().all()
        return int(handled.scalar_one()), int(rows.scalar_one()), list(states)


async def checkpoint(app: App) -> None:
    """Empty SQLite's write-ahead log into the file, so the next write needs new room."""
    async with app.database.engine.connect() as connection:
        await connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


@pytest.mark.parametrize("fault", ["disk full", "read-only"])
async def test_a_full_or_read_only_disk_is_a_clear_error_and_nothing_is_half_written(
    settings: Settings, frozen_clock: FrozenClock, tmp_path: Path, fault: str
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        url = f"sqlite+aiosqlite:///{disk / 'sendbot.db'}"
        on_disk = settings.model_copy(update={"database_url": url})
        async with open_app(on_disk, clock=frozen_clock) as app:
            app.dialogue = Dialogue(app.services, app.database, numbered())
            with debug_logging() as logs:
                async with telegram_bot(on_disk, app) as (api, application):
                    chat = TelegramChat(api, application, PARENT_CHAT_ID)
                    await chat.send("/say 0")
                    before = await written(app)
                    await checkpoint(app)
                    filler = fill(disk) if fault == "disk full" else None
                    if fault == "read-only":
                        await read_only(app, True)
                    update = api.text_update(PARENT_CHAT_ID, "/say 1")
                    answered = await chat.process(update)
                    if filler is not None:
                        filler.unlink()
                    else:
                        await read_only(app, False)
                    after = await written(app)
                    again = await chat.process(update)  # had Telegram sent it again
                    fresh = await chat.send("/say 2")
    assert [c.text for c in answered] == [MESSAGES["error"]], "the parent is told at once"
    words = "the database's disk is full" if fault == "disk full" else "the database is read-only"
    assert words in logs.text or "disk i/o error" in logs.text.lower(), logs.text[-2000:]
    assert after == before, "nothing of the failed message was written"
    assert [c.text for c in again] == ["reply 1"] and [c.text for c in fresh] == ["reply 2"]
    result = tally(
        f"database {fault} (SQLite)",
        3,
        ["reply 0", "reply 1", "reply 2"],
        [c.text for c in api.delivered(PARENT_CHAT_ID) if c.text != MESSAGES["error"]],
        note="the update met by the fault got the apology and was answered when sent again",
    )
    assert (result.lost, result.duplicated) == (0, 0)
