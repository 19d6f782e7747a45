"""Keys: the database knows which keys its data is under, and a command with others refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import delete

from sendbot.app import open_app
from sendbot.config import Settings
from sendbot.core.keyring import fingerprint
from sendbot.core.privacy.fingerprints import KeyMismatch, short
from sendbot.core.privacy.rotation import rotate_keys
from sendbot.storage.models import CaseLink, KeyFingerprint
from tests.privacy_helpers import CASE_ROW, CHILD_DOB, Clock, Parent, seed_cases

BOT_KEY, OTHER_KEY = "the-bot-secret-key-for-tests", "another-secret-key-for-tests"


def keyed(settings: Settings, **keys: str | None) -> Settings:
    """Settings with the given secret, old and hashing keys."""
    return settings.model_copy(
        update={name: None if v is None else SecretStr(v) for name, v in keys.items()}
    )


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """An environment for `sendbot` with no key of any kind, pointing at the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDBOT_")}
    env.update(
        SENDBOT_DATABASE_URL=settings.database_url,
        SENDBOT_KNOWLEDGE_DIR=str(settings.knowledge_dir),
        SENDBOT_COUNCIL=settings.council,
    )
    env.update(extra)
    return env


def sendbot(
    env: dict[str, str], cwd: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "sendbot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        input=stdin,
        timeout=120,
        check=False,
    )


async def test_issue_code_elsewhere_without_the_key_refuses_instead_of_making_one(
    settings: Settings, tmp_path: Path
) -> None:
    async with open_app(keyed(settings, secret_key=BOT_KEY)) as app:
        await seed_cases(app, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    result = sendbot(cli_env(settings), elsewhere, "cases", "issue-code", CASE_ROW["case_ref"])
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no key for the existing database" in result.stderr
    assert "SENDBOT_SECRET_KEY" in result.stderr
    assert result.stdout == ""  # no code printed
    assert list(elsewhere.iterdir()) == []  # and no key file made here


async def test_the_demo_key_lives_beside_its_database_and_codes_made_elsewhere_link(
    settings: Settings, tmp_path: Path
) -> None:
    database = tmp_path / "data" / "demo.db"
    demo = settings.model_copy(
        update={
            "database_url": f"sqlite+aiosqlite:///{database}",
            "secret_key": None,
            "key_file": None,
        }
    )
    env = cli_env(demo)
    started = sendbot(env, tmp_path / "here", "chat", stdin="/start\n")
    assert started.returncode == 0, started.stderr
    assert (tmp_path / "data" / "demo.db.key").exists()
    assert list((tmp_path / "here").iterdir()) == []
    issued = sendbot(env, tmp_path / "there", "officers", "invite")
    assert issued.returncode == 0, issued.stderr
    assert list((tmp_path / "there").iterdir()) == []
    async with open_app(demo, allow_key_file=True) as app:
        app.services.clock = Clock()
        await seed_cases(app, tmp_path)
    code = sendbot(env, tmp_path / "there", "cases", "issue-code", CASE_ROW["case_ref"])
    assert code.returncode == 0, code.stderr
    async with open_app(demo, allow_key_file=True) as app:
        # The command issued the code on the real clock, so the bot links on it too.
        parent = Parent(app, "1001")
        await parent.link_case(code.stdout.strip().splitlines()[-1], CHILD_DOB)
        async with app.database.unit_of_work() as uow:
            assert [c.reference for c in await uow.cases.linked_cases(parent.chat_key)] == [
                "TS0001"
            ]


async def test_every_entry_point_refuses_keys_that_are_not_the_databases(
    settings: Settings, tmp_path: Path
) -> None:
    async with open_app(keyed(settings, secret_key=BOT_KEY)) as app:
        app.services.clock = Clock()
        await seed_cases(app, tmp_path)
    with pytest.raises(KeyMismatch, match="hashing key is"):
        async with open_app(keyed(settings, secret_key=OTHER_KEY)):
            pass
    env = cli_env(settings, SENDBOT_SECRET_KEY=OTHER_KEY, SENDBOT_TELEGRAM_TOKEN="1:fake")
    for args in (
        ("cases", "issue-code", CASE_ROW["case_ref"]),
        ("officers", "invite"),
        ("audit", "verify"),
        ("keys", "status"),
        ("run",),
    ):
        result = sendbot(env, tmp_path / "cwd", *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "do not match this database" in result.stderr, args
        assert short(fingerprint(BOT_KEY)) in result.stderr, args
        assert BOT_KEY not in result.stdout + result.stderr
        assert OTHER_KEY not in result.stdout + result.stderr


async def test_keys_status_shows_short_fingerprints_and_never_the_keys(
    settings: Settings, tmp_path: Path
) -> None:
    async with open_app(keyed(settings, secret_key=BOT_KEY)):
        pass
    env = cli_env(settings, SENDBOT_SECRET_KEY=BOT_KEY)
    status = sendbot(env, tmp_path / "cwd", "keys", "status")
    assert status.returncode == 0, status.stderr
    shown = short(fingerprint(BOT_KEY))
    assert f"hashing key     {shown}  matches the database" in status.stdout
    assert f"encryption key  {shown}  recorded" in status.stdout
    assert fingerprint(BOT_KEY) not in status.stdout  # only the short form
    assert BOT_KEY not in status.stdout + status.stderr


async def test_an_old_key_dropped_before_rotating_is_refused_and_after_it_is_fine(
    settings: Settings, tmp_path: Path
) -> None:
    async with open_app(keyed(settings, secret_key=BOT_KEY)) as app:
        app.services.clock = Clock()
        await seed_cases(app, tmp_path)
    with pytest.raises(KeyMismatch, match="not configured"):
        async with open_app(keyed(settings, secret_key=OTHER_KEY, hash_key=BOT_KEY)):
            pass
    rolling = keyed(settings, secret_key=OTHER_KEY, old_secret_keys=BOT_KEY, hash_key=BOT_KEY)
    async with open_app(rolling) as app:
        report = await rotate_keys(app.database, app.services.keyring)
        assert report.rotated >= 2 and report.unreadable == 0
    async with open_app(keyed(settings, secret_key=OTHER_KEY, hash_key=BOT_KEY)) as app:
        app.services.clock = Clock()
        parent = Parent(app, "1001")
        await parent.send("/start")


async def test_a_database_from_before_fingerprints_is_checked_against_its_data(
    settings: Settings, tmp_path: Path
) -> None:
    async with open_app(keyed(settings, secret_key=BOT_KEY)) as app:
        app.services.clock = Clock()
        await seed_cases(app, tmp_path)
        async with app.database.unit_of_work() as uow:
            await uow.session.execute(delete(KeyFingerprint))
            await uow.session.execute(delete(CaseLink))
    with pytest.raises(KeyMismatch, match="no configured key can read"):
        async with open_app(keyed(settings, secret_key=OTHER_KEY, hash_key=BOT_KEY)):
            pass
    async with open_app(keyed(settings, secret_key=BOT_KEY)):
        pass  # the right key is recorded afresh
