"""`sendbot run` and the adapter's serving modes: long polling over real HTTP, webhooks."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from sendbot.adapters.telegram import build_application
from sendbot.adapters.telegram.serve import Webhook, serve
from sendbot.app import App
from sendbot.config import Settings
from tests.fakes.bot_api import TOKEN, Call, FakeBotAPI, FakeRequest
from tests.fakes.harness import PARENT_CHAT_ID, telegram_settings
from tests.fakes.loopback import LoopbackBotAPI

WAIT_S = 15


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def replies_to(api: FakeBotAPI, chat_id: int) -> list[Call]:
    return [c for c in api.sent(chat_id) if c.method == "sendMessage"]


async def test_long_polling_against_a_loopback_bot_api(settings: Settings, app: App) -> None:
    api = FakeBotAPI()
    async with LoopbackBotAPI(api) as server:
        polling = telegram_settings(settings, telegram_api_url=server.url)
        application = build_application(polling, app)  # the real HTTP client, aiohttp
        stop = asyncio.Event()
        running = asyncio.create_task(serve(application, stop, webhook=None))
        api.queue(api.text_update(PARENT_CHAT_ID, "/start"))
        api.queue(api.text_update(PARENT_CHAT_ID, "how long does an EHCP take?"))
        await api.wait_until(
            lambda: any(
                "How long an EHC plan should take" in c.text
                for c in replies_to(api, PARENT_CHAT_ID)
            ),
            WAIT_S,
        )
        stop.set()
        await asyncio.wait_for(running, WAIT_S)
    sent = replies_to(api, PARENT_CHAT_ID)
    assert "Testshire Council (fictional)" in sent[0].text
    assert any("How long an EHC plan should take" in c.text for c in sent[2:])
    (commands,) = api.called("setMyCommands")
    assert commands.params["commands"][0]["command"] == "start"
    polls = api.called("getUpdates")
    assert polls and all(c.params.get("allowed_updates") for c in polls[:1])
    assert api.called("deleteWebhook"), "polling starts by removing any webhook"


async def test_webhook_mode_checks_the_secret_token(settings: Settings, app: App) -> None:
    api = FakeBotAPI()
    application = build_application(telegram_settings(settings), app, request=FakeRequest(api))
    port = free_port()
    hook = Webhook("https://bot.example.org/telegram/hook", "127.0.0.1", port, "s3cret-token")
    stop = asyncio.Event()
    running = asyncio.create_task(serve(application, stop, webhook=hook))
    await api.wait_until(lambda: bool(api.called("setWebhook")), WAIT_S)
    (registered,) = api.called("setWebhook")
    assert registered.params["url"] == hook.url
    assert registered.params["secret_token"] == "s3cret-token"
    update = api.text_update(PARENT_CHAT_ID, "/help")
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with httpx.AsyncClient() as client:
        refused = await client.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
        )
        missing = await client.post(url, json=update)
        assert refused.status_code == 403 and missing.status_code == 403
        assert replies_to(api, PARENT_CHAT_ID) == []
        accepted = await client.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        )
        assert accepted.status_code == 200
        await api.wait_until(lambda: bool(replies_to(api, PARENT_CHAT_ID)), WAIT_S)
    stop.set()
    await asyncio.wait_for(running, WAIT_S)
    assert "/menu" in replies_to(api, PARENT_CHAT_ID)[0].text


def cli_env(env_for_cli: dict[str, str], **extra: str) -> dict[str, str]:
    env = dict(env_for_cli)
    env.update(extra)
    return env


@pytest.mark.parametrize(
    ("extra", "args", "named"),
    [
        ({"SENDBOT_SECRET_KEY": "k" * 32}, [], "SENDBOT_TELEGRAM_TOKEN"),
        ({"SENDBOT_TELEGRAM_TOKEN": TOKEN}, [], "SENDBOT_SECRET_KEY"),
        (
            {"SENDBOT_TELEGRAM_TOKEN": TOKEN, "SENDBOT_SECRET_KEY": "k" * 32},
            ["--webhook-url", "https://bot.example.org/hook"],
            "SENDBOT_WEBHOOK_SECRET",
        ),
    ],
)
async def test_run_without_a_required_setting_exits_2_with_one_clear_line(
    env_for_cli: dict[str, str], tmp_path: Path, extra: dict[str, str], args: list[str], named: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sendbot", "run", *args,
        env=cli_env(env_for_cli, **extra), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sendbot: ") and named in lines[0]
    assert "Traceback" not in err.decode() and out == b""


async def test_sendbot_run_serves_parents_through_any_bot_api_server(
    env_for_cli: dict[str, str], tmp_path: Path
) -> None:
    api = FakeBotAPI()
    async with LoopbackBotAPI(api) as server:
        env = cli_env(
            env_for_cli,
            SENDBOT_TELEGRAM_TOKEN=TOKEN,
            SENDBOT_SECRET_KEY="k" * 32,
            SENDBOT_TELEGRAM_API_URL=server.url,
            SENDBOT_LOG_LEVEL="DEBUG",
        )
        api.queue(api.text_update(PARENT_CHAT_ID, "/start"))
        api.queue(api.text_update(PARENT_CHAT_ID, "my son's TA left, what is sendiass"))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sendbot", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await api.wait_until(lambda: len(replies_to(api, PARENT_CHAT_ID)) >= 3, within=60)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(process.communicate(), 30)
    logs = (out + err).decode()
    assert process.returncode == 0, logs[-2000:]
    assert "Testshire" in replies_to(api, PARENT_CHAT_ID)[0].text
    assert TOKEN.split(":")[1] not in logs
    assert "my son" not in logs and "sendiass" not in logs.lower()
    assert "DEBUG" in logs, "the run logged nothing at DEBUG; the check proves nothing"
    assert json.dumps(api.called("setMyCommands")[0].params["commands"])
    assert os.environ.get("SENDBOT_TELEGRAM_TOKEN") != TOKEN  # the test process is untouched


async def test_run_with_a_token_the_api_refuses_exits_2(
    env_for_cli: dict[str, str], tmp_path: Path
) -> None:
    async with LoopbackBotAPI(FakeBotAPI(token="42:AnotherTokenTheServerDoesNotKnow")) as server:
        env = cli_env(
            env_for_cli,
            SENDBOT_TELEGRAM_TOKEN=TOKEN,
            SENDBOT_SECRET_KEY="k" * 32,
            SENDBOT_TELEGRAM_API_URL=server.url,
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sendbot", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "SENDBOT_TELEGRAM_TOKEN" in err.decode() and "Traceback" not in err.decode()
    assert TOKEN.split(":")[1] not in err.decode()
