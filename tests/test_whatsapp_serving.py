"""`sendbot run --channel whatsapp`: refuses to start without its settings, and serves a
signed webhook POST in a real process, answering through a Cloud API at the configured URL."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.cloud_api import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    TOKEN,
    VERIFY_TOKEN,
    VERSION,
    WhatsAppPhone,
    fake_cloud,
    sign,
)
from tests.fakes.whatsapp import PARENT_WA_ID
from tests.test_telegram_serving import free_port

SETTINGS = {
    "SENDBOT_WHATSAPP_TOKEN": TOKEN,
    "SENDBOT_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
    "SENDBOT_WHATSAPP_APP_SECRET": APP_SECRET,
    "SENDBOT_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
    "SENDBOT_WHATSAPP_API_VERSION": VERSION,
    "SENDBOT_SECRET_KEY": "k" * 32,
}


@pytest.mark.parametrize("left_out", ["SENDBOT_WHATSAPP_TOKEN", "SENDBOT_WHATSAPP_APP_SECRET"])
async def test_run_whatsapp_without_a_setting_exits_2_naming_it(
    env_for_cli: dict[str, str], tmp_path: Path, left_out: str
) -> None:
    env = {**env_for_cli, **{k: v for k, v in SETTINGS.items() if k != left_out}}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sendbot", "run", "--channel", "whatsapp",
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    lines = err.decode().strip().splitlines()
    assert process.returncode == 2 and len(lines) == 1 and left_out in lines[0]
    assert out == b""


@pytest.mark.slow
async def test_run_whatsapp_serves_a_signed_webhook(
    env_for_cli: dict[str, str], tmp_path: Path
) -> None:
    from sendbot.clock import system_clock

    async with fake_cloud(system_clock) as (api, url):
        port = free_port()
        env = {**env_for_cli, **SETTINGS, "SENDBOT_WHATSAPP_API_URL": url}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sendbot", "run", "--channel", "whatsapp", "--port", str(port),
            env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            phone = WhatsAppPhone(None, api, PARENT_WA_ID)  # type: ignore[arg-type]
            body = json.dumps(phone.notification(phone.message("text", {"body": "/start"})))
            api.last_written[PARENT_WA_ID] = system_clock()
            hook = f"http://127.0.0.1:{port}/whatsapp/webhook"
            async with aiohttp.ClientSession() as session:
                status = await _post_when_up(session, hook, body.encode())
                assert status == 200
                check = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                         "hub.challenge": "42"}  # fmt: skip
                async with session.get(hook, params=check) as answer:
                    assert await answer.text() == "42"
            assert [s.type for s in api.to(PARENT_WA_ID)] == ["text", "interactive"]
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()[-2000:]
        assert PARENT_WA_ID not in err.decode()


async def _post_when_up(session: aiohttp.ClientSession, url: str, body: bytes) -> int:
    """POST a signed body once the server listens (it takes a few seconds to start)."""
    headers = {"X-Hub-Signature-256": sign(body), "Content-Type": "application/json"}
    for _ in range(240):
        try:
            async with session.post(url, data=body, headers=headers) as response:
                return response.status
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.25)
    raise AssertionError("the server never started")
