"""Key rotation: every encrypted column moves to the new key while the bot keeps working."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sendbot.adapters.web.history import History
from sendbot.app import App, build_keyring, open_app
from sendbot.config import Settings
from sendbot.core.accounts import oidc
from sendbot.core.accounts.accounts import add_account
from sendbot.core.audit import verify
from sendbot.core.inbox.actions import add_note
from sendbot.core.keyring import KeyMissing, Keyring
from sendbot.core.messages import Outbound
from sendbot.core.outbox import enqueue
from sendbot.core.privacy.rotation import (
    encrypted_columns,
    hashes_match,
    looks_encrypted,
    rotate_keys,
)
from sendbot.storage.db import Database
from sendbot.storage.models import Base, Conversation
from tests.privacy_helpers import CHILD, NOW, Clock, Parent, linked_parent, officer_reads

OLD, NEW = "the-old-secret-key-for-tests", "the-new-secret-key-for-tests"
QUESTION = "Please call me about Oliver, 07700 900123"


def keyed(settings: Settings, **keys: str | None) -> Settings:
    """Settings with the given secret, old and hashing keys."""
    return settings.model_copy(
        update={name: None if value is None else _secret(value) for name, value in keys.items()}
    )


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)


async def fill(app: App, tmp_path: Path) -> Parent:
    """Put something in every encrypted column through the bot's own paths."""
    parent = await linked_parent(app, tmp_path)
    reference = await parent.ask_for_a_person(QUESTION, share_case=True)
    await officer_reads(app, reference)
    async with app.database.unit_of_work() as uow:
        await enqueue(
            uow,
            dedupe_key="test:note",
            channel=parent.channel,
            chat_ref=app.services.keyring.encrypt(parent.chat_id),
            message=Outbound("About Oliver"),
            keyring=app.services.keyring,
        )
    await parent.press("k:k:question")  # a draft in the conversation state, encrypted
    await parent.send("A second question about Oliver")
    await fill_officers_side(app, reference)
    return parent


async def fill_officers_side(app: App, reference: str) -> None:
    """The console's encrypted columns: an account, a note, a web chat, a pending sign-in."""
    services = app.services
    async with app.database.unit_of_work() as uow:
        await add_account(
            uow, services.keyring, app.settings, NOW, "sam@council.example", "lead", "test"
        )
        ticket = await uow.tickets.by_reference(reference)
        officer = (await uow.officers.all())[-1]
        assert ticket is not None
        await add_note(uow, services, ticket, officer, "Called the school about Oliver")
        await oidc.begin(uow, services, browser=None)
        chat_key = services.keyring.chat_key("web", "web-session-1")
        await uow.conversations.get_or_create(chat_key, "web")
    history = History(app.database, services.keyring, kept=50)
    await history.record(chat_key, [{"from": "parent", "text": "About Oliver"}], NOW)


async def all_tokens(database: Database) -> list[tuple[str, str]]:
    """(table.column, token) for every token-shaped value in every column of the database."""
    found: list[tuple[str, str]] = []

    def walk(where: str, value: Any) -> None:
        if looks_encrypted(value):
            found.append((where, value))
        elif isinstance(value, dict):
            for item in value.values():
                walk(where, item)
        elif isinstance(value, list):
            for item in value:
                walk(where, item)
        elif isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                walk(where, json.loads(value))

    async with database.unit_of_work() as uow:
        for table in Base.metadata.sorted_tables:
            for row in (await uow.session.execute(select(table))).mappings():
                for column, value in row.items():
                    walk(f"{table.name}.{column}", value)
    return found


async def test_every_encrypted_column_is_known_to_rotation(
    settings: Settings, tmp_path: Path
) -> None:
    async with open_app(settings) as app:
        app.services.clock = Clock()
        await fill(app, tmp_path)
        tokens = await all_tokens(app.database)
    known = {f"{table.name}.{column.name}" for table, column, _ in encrypted_columns()}
    holding = {where for where, _ in tokens}
    assert holding - known == set()
    assert {"cases.child_name", "tickets.body", "conversations.data", "outbox.html"} <= holding
    assert {
        "console_accounts.email",
        "console_accounts.totp_secret",
        "ticket_notes.body",
        "web_messages.body",
        "console_oidc_logins.nonce",
        "console_oidc_logins.code_verifier",
    } <= holding


async def test_rotation_moves_everything_and_the_bot_still_finds_every_chat(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    base = settings.model_copy(update={"database_url": database_url})
    async with open_app(keyed(base, secret_key=OLD)) as app:
        app.services.clock = Clock()
        parent = await fill(app, tmp_path)
        chat_key = parent.chat_key

    rolling = keyed(base, secret_key=NEW, old_secret_keys=OLD, hash_key=OLD)
    async with open_app(rolling) as app:
        app.services.clock = Clock()
        keyring = app.services.keyring
        checked, matching = await hashes_match(app.database, keyring)
        assert checked >= 1 and matching == checked
        async with app.database.unit_of_work() as uow:
            touched = (await uow.session.execute(select(Conversation.updated_at))).scalars()
            last_active = sorted(touched)
        before = await rotate_keys(app.database, keyring, dry_run=True)
        assert before.old > 5 and before.rotated == 0 and before.unreadable == 0
        report = await rotate_keys(app.database, keyring, batch=3)
        assert report.rotated == before.old and report.unreadable == 0
        again = await rotate_keys(app.database, keyring, dry_run=True)
        assert again.old == 0
        async with app.database.unit_of_work() as uow:
            touched = (await uow.session.execute(select(Conversation.updated_at))).scalars()
            assert sorted(touched) == last_active  # re-encrypting is not activity

    # The old key is gone: everything still reads, chats are still found, the log verifies.
    async with open_app(keyed(base, secret_key=NEW, hash_key=OLD)) as app:
        app.services.clock = Clock()
        newest_only = app.services.keyring
        for _, token in await all_tokens(app.database):
            assert newest_only.is_current(token)
        parent = Parent(app, parent.chat_id)
        assert parent.chat_key == chat_key
        await parent.send("/mycase")
        assert CHILD in parent.text()
        data = json.loads((await parent.send("/mydata"))[0].document[1])  # type: ignore[index]
        assert data["tickets"][0]["your_message"] == QUESTION
        async with app.database.unit_of_work() as uow:
            assert (await verify(uow.session, newest_only)).ok


async def test_rotation_runs_while_the_bot_answers(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    base = settings.model_copy(update={"database_url": database_url})
    async with open_app(keyed(base, secret_key=OLD)) as app:
        app.services.clock = Clock()
        await fill(app, tmp_path)
    async with open_app(keyed(base, secret_key=NEW, old_secret_keys=OLD, hash_key=OLD)) as app:
        app.services.clock = Clock()
        parents = [Parent(app, str(3000 + n)) for n in range(6)]

        async def chatter(parent: Parent) -> None:
            for line in ("/start", "/privacy", "/mycase", "/menu"):
                await parent.send(line)
                await asyncio.sleep(0)

        results = await asyncio.gather(
            rotate_keys(app.database, app.services.keyring, batch=1),
            *(chatter(p) for p in parents),
        )
        assert results[0].unreadable == 0
        assert (await rotate_keys(app.database, app.services.keyring, dry_run=True)).old == 0


async def test_a_changed_hashing_key_is_caught_before_anything_changes(
    settings: Settings, tmp_path: Path
) -> None:
    async with open_app(keyed(settings, secret_key=OLD)) as app:
        app.services.clock = Clock()
        await Parent(app, "1001").send("/start")
    forgot = Keyring([NEW, OLD])  # no hashing key: chat keys would change
    database = Database(settings.database_url)
    try:
        assert await hashes_match(database, forgot) == (1, 0)
        assert await hashes_match(database, Keyring([NEW, OLD], hash_secret=OLD)) == (1, 1)
    finally:
        await database.dispose()


async def test_the_bot_refuses_to_start_when_the_hashing_key_changed(settings: Settings) -> None:
    async with open_app(keyed(settings, secret_key=OLD)) as app:
        await Parent(app, "1001").send("/start")
    with pytest.raises(KeyMissing, match="SENDBOT_HASH_KEY"):
        async with open_app(keyed(settings, secret_key=NEW, old_secret_keys=OLD)):
            pass
    async with open_app(keyed(settings, secret_key=NEW, old_secret_keys=OLD, hash_key=OLD)):
        pass


async def test_a_missing_old_key_is_reported_as_unreadable(
    settings: Settings, tmp_path: Path
) -> None:
    async with open_app(keyed(settings, secret_key=OLD)) as app:
        app.services.clock = Clock()
        await Parent(app, "1001").send("/start")
    database = Database(settings.database_url)
    try:
        report = await rotate_keys(database, Keyring([NEW], hash_secret=OLD))
        assert report.unreadable >= 1 and report.rotated == 0
    finally:
        await database.dispose()


def test_keyring_settings_need_a_secret_key(settings: Settings) -> None:
    with pytest.raises(KeyMissing):
        build_keyring(keyed(settings, secret_key=None), allow_key_file=False)
    ring = build_keyring(keyed(settings, secret_key=NEW, old_secret_keys=f" {OLD} ,"), False)
    assert ring.key_count == 2
    assert ring.decrypt(Keyring([OLD]).encrypt("x")) == "x"
    assert ring.is_current(ring.encrypt("y"))


def test_hashes_and_audit_seals_survive_a_new_secret_key() -> None:
    before = Keyring([OLD])
    after = Keyring([NEW, OLD], hash_secret=OLD)
    assert before.chat_key("telegram", "42") == after.chat_key("telegram", "42")
    assert before.digest("case-dob", "x") == after.digest("case-dob", "x")
    assert before.audit_key_id == after.audit_key_id


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sendbot", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def test_cli_status_rotate_and_status_again(
    settings: Settings, env_for_cli: dict[str, str], tmp_path: Path
) -> None:
    async with open_app(keyed(settings, secret_key=OLD)) as app:
        app.services.clock = Clock()
        await fill(app, tmp_path)
    env = dict(env_for_cli, SENDBOT_SECRET_KEY=NEW, SENDBOT_OLD_SECRET_KEYS=OLD)
    refused = run_cli(env, "keys", "rotate")
    assert refused.returncode == 2 and "SENDBOT_HASH_KEY" in refused.stderr
    env["SENDBOT_HASH_KEY"] = OLD
    status = run_cli(env, "keys", "status")
    assert status.returncode == 0 and "run `sendbot keys rotate`" in status.stdout
    rotated = run_cli(env, "keys", "rotate", "--batch", "2")
    assert rotated.returncode == 0, rotated.stderr
    assert "nothing is left under an old key" in rotated.stdout
    done = run_cli(env, "keys", "status", "--json")
    counts = json.loads(done.stdout)["columns"]
    assert sum(c["old"] for c in counts.values()) == 0
    assert counts["tickets.body"]["current"] == 1
    for secret in (OLD, NEW):
        assert secret not in status.stdout + rotated.stdout + done.stdout
    assert len(run_cli(env, "keys", "new").stdout.strip()) >= 40
