"""The core driven through the terminal adapter, in process and as a scripted subprocess."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import yaml
from sqlalchemy import select

from sendbot.adapters.terminal import TerminalChat
from sendbot.app import App
from sendbot.core.dialogue import Dialogue, Router, Turn
from sendbot.core.messages import Inbound, InboundKind
from sendbot.storage.models import Conversation

MESSAGES = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "knowledge" / "messages.yaml").read_text()
)


def menu_labels() -> list[str]:
    """The main menu's labels as messages.yaml defines them."""
    return list(MESSAGES["menu"].values())


async def test_start_shows_welcome_privacy_line_and_menu(app: App) -> None:
    out = io.StringIO()
    chat = TerminalChat(app.dialogue, out=out)
    replies = await chat.send("/start")
    labels = [b.label for r in replies for b in r.flat_buttons]
    assert labels == menu_labels()
    text = out.getvalue()
    assert "Testshire Council (fictional)" in text
    assert "never look at social media" in text
    assert "[1] " + menu_labels()[0] in text


async def test_typing_a_number_presses_the_button(app: App) -> None:
    chat = TerminalChat(app.dialogue, out=io.StringIO())
    await chat.send("/start")
    topics_index = list(MESSAGES["menu"]).index("topics") + 1
    replies = await chat.send(str(topics_index))
    assert replies[0].html == MESSAGES["topics_prompt"]
    assert [b.label for b in replies[0].flat_buttons][:2] == ["Plans", "Support"]
    replies = await chat.send("1")  # Plans
    replies = await chat.send("1")  # its first entry
    assert replies[0].html.startswith("<b>How long an EHC plan should take</b>")
    assert [b.label for b in replies[-1].flat_buttons][:2] == ["More detail", "Sources"]
    replies = await chat.send("2")  # Sources
    assert "Sources:" in replies[-1].html


async def test_my_case_button_opens_case_linking(app: App) -> None:
    chat = TerminalChat(app.dialogue, out=io.StringIO())
    await chat.send("/start")
    replies = await chat.send(str(list(MESSAGES["menu"]).index("case") + 1))
    assert replies[0].html == MESSAGES["cases"]["ask_code"]


async def test_local_offer_button_shows_the_councils_own_entry(app: App) -> None:
    chat = TerminalChat(app.dialogue, out=io.StringIO())
    await chat.send("/start")
    replies = await chat.send(str(list(MESSAGES["menu"]).index("offer") + 1))
    assert "Testshire" in replies[0].html


async def test_help_menu_and_privacy_commands(app: App) -> None:
    chat = TerminalChat(app.dialogue, out=io.StringIO())
    assert "/menu" in (await chat.send("/help"))[0].html
    assert [b.label for b in (await chat.send("/menu"))[0].flat_buttons] == menu_labels()
    privacy = (await chat.send("/privacy"))[0].html
    assert "social media" in privacy


async def test_bad_input_gets_kind_answers(app: App) -> None:
    chat = TerminalChat(app.dialogue, out=io.StringIO())
    assert (await chat.send(""))[0].html == MESSAGES["empty_message"]
    assert (await chat.send("   \t  "))[0].html == MESSAGES["empty_message"]
    long = (await chat.send("a" * 10_000))[0].html
    assert "10000 characters" in long and "4000" in long
    assert (await chat.send("/definitely-not-a-command"))[0].html == MESSAGES["unknown_command"]
    assert (await chat.send("\x00\x07\u202e"))[0].html == MESSAGES["empty_message"]
    stale = await app.dialogue.handle(Inbound("terminal", "local", InboundKind.BUTTON, "zz:1"))
    assert stale[0].html == MESSAGES["stale_button"]
    photo = await app.dialogue.handle(Inbound("terminal", "local", InboundKind.UNSUPPORTED))
    assert photo[0].html == MESSAGES["unsupported"]


async def test_state_lives_in_the_database_not_the_process(app: App) -> None:
    router = Router()

    @router.command("remember")
    async def remember(turn: Turn) -> None:
        turn.set_state("waiting", word=turn.inbound.argument)
        turn.reply("ok")

    @router.state("waiting")
    async def recall(turn: Turn) -> None:
        turn.reply(f"{turn.data['word']} {turn.text}")
        turn.set_state("idle")

    first = Dialogue(app.services, app.database, router)
    second = Dialogue(app.services, app.database, router)  # as if another process
    await first.handle(Inbound("telegram", "42", InboundKind.COMMAND, "/remember hello"))
    replies = await second.handle(Inbound("telegram", "42", InboundKind.TEXT, "world"))
    assert replies[0].html == "hello world"
    async with app.database.unit_of_work() as uow:
        rows = (await uow.session.execute(select(Conversation))).scalars().all()
    assert len(rows) == 1
    assert rows[0].state == "idle"
    assert rows[0].chat_key == app.services.keyring.chat_key("telegram", "42")
    assert len(rows[0].chat_key) == 64
    assert rows[0].chat_ref and app.services.keyring.decrypt(rows[0].chat_ref) == "42"


async def test_a_failing_handler_rolls_back_and_apologises(app: App) -> None:
    router = Router()

    @router.command("boom")
    async def boom(turn: Turn) -> None:
        turn.set_state("half-done")
        raise RuntimeError("secret case data")

    dialogue = Dialogue(app.services, app.database, router)
    replies = await dialogue.handle(Inbound("terminal", "7", InboundKind.COMMAND, "/boom"))
    assert replies[0].html == MESSAGES["error"]
    async with app.database.unit_of_work() as uow:
        rows = (await uow.session.execute(select(Conversation))).scalars().all()
    assert rows == []


def test_scripted_terminal_chat_as_a_subprocess(env_for_cli: dict[str, str]) -> None:
    script = "/start\n2\n\n/nonsense\n"
    result = subprocess.run(
        [sys.executable, "-m", "sendbot", "chat"],
        input=script,
        capture_output=True,
        text=True,
        env=env_for_cli,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for label in menu_labels():
        assert label in result.stdout
    assert MESSAGES["topics_prompt"] in result.stdout
    assert MESSAGES["empty_message"] in result.stdout
    assert MESSAGES["unknown_command"] in result.stdout
    assert "Traceback" not in result.stderr


def test_unreachable_database_at_start_is_a_clear_error(env_for_cli: dict[str, str]) -> None:
    env = dict(env_for_cli, SENDBOT_DATABASE_URL="postgresql+asyncpg://x@127.0.0.1:1/none")
    result = subprocess.run(
        [sys.executable, "-m", "sendbot", "chat"],
        input="/start\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "Cannot reach the database" in result.stderr
    assert "Traceback" not in result.stderr
