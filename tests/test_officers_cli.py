"""`sendbot officers invite|list|remove` and `sendbot feedback export`, as a council runs them."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from sendbot.app import open_app
from sendbot.config import Settings
from sendbot.storage.models import OfferFeedback
from tests.test_escalation import NOW, Clock, Person, escalate, text_of

CODE = re.compile(r"^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$")


def sendbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sendbot", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def cli_env(env_for_cli: dict[str, str], settings: Settings) -> dict[str, str]:
    """The subprocess shares the test app's database and secret key."""
    assert settings.secret_key is not None
    return dict(env_for_cli, SENDBOT_SECRET_KEY=settings.secret_key.get_secret_value())


async def test_invite_join_list_and_remove(env_for_cli: dict[str, str], settings: Settings) -> None:
    env = cli_env(env_for_cli, settings)
    invited = sendbot(env, "officers", "invite", "--role", "lead")
    assert invited.returncode == 0, invited.stderr
    code = invited.stdout.strip().splitlines()[-1]
    assert CODE.match(code), invited.stdout
    async with open_app(settings) as app:
        app.services.clock = Clock(NOW)
        lead = Person(app, "990")
        assert "team lead" in text_of(await lead.send(f"/officer {code}"))
        reference, _ = await escalate(Person(app, "991"))
        await lead.send(f"/claim {reference}")
    listed = sendbot(env, "officers", "list")
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^\s+1\s+lead\s+-\s+\d{4}-\d{2}-\d{2}\s+1\s+yes$", listed.stdout, re.M)
    assert "990" not in listed.stdout
    removed = sendbot(env, "officers", "remove", "1")
    assert removed.returncode == 0 and "1 open ticket(s)" in removed.stdout
    assert sendbot(env, "officers", "remove", "7").returncode == 1
    async with open_app(settings) as app:
        again = await Person(app, "990").send("/tickets")
        assert text_of(again) == text_of(await Person(app, "992").send("/nonsense"))
    assert "1 officer(s)" in sendbot(env, "officers", "list", "--all").stdout


def test_invite_rejects_an_unknown_role(env_for_cli: dict[str, str]) -> None:
    result = sendbot(env_for_cli, "officers", "invite", "--role", "boss")
    assert result.returncode == 2 and "boss" in result.stderr


async def test_feedback_export_writes_the_you_said_list(
    env_for_cli: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    async with open_app(settings) as app:
        parent = Person(app, "993")
        for words in ("More holiday clubs please", "Ring me on 07700 900123 about ramps"):
            await parent.send("/contact")
            await parent.press("k:k:offer")
            consent = await parent.send(words)
            send = next(b.data for r in consent for b in r.flat_buttons if b.data[:4] == "k:s:")
            await parent.press(send)
    target = tmp_path / "you-said.csv"
    result = sendbot(cli_env(env_for_cli, settings), "feedback", "export", str(target))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 2 and rows[0]["you_said"] == "More holiday clubs please"
    assert "07700" not in rows[1]["you_said"] and "ramps" in rows[1]["you_said"]
    assert set(rows[0]) == {"reference", "received", "you_said", "we_did"}
    to_stdout = sendbot(cli_env(env_for_cli, settings), "feedback", "export")
    assert "More holiday clubs please" in to_stdout.stdout


async def test_feedback_export_is_complete_however_long(
    env_for_cli: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    """The published list holds every item, not only the first ten thousand."""
    async with open_app(settings) as app:
        keyring = app.services.keyring
        items = [
            {
                "reference": f"F-X{n:05d}",
                "received_at": NOW - timedelta(minutes=n),
                "text": keyring.encrypt(f"remark {n}"),
                "anonymous": True,
            }
            for n in range(10_005)
        ]
        async with app.database.unit_of_work() as uow:
            await uow.session.execute(insert(OfferFeedback), items)
    target = tmp_path / "you-said.csv"
    result = sendbot(cli_env(env_for_cli, settings), "feedback", "export", str(target))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == len(items)
    assert rows[0]["reference"] == "F-X10004" and rows[-1]["reference"] == "F-X00000"
