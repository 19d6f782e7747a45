"""Fault injection: a flood of oversized, slow and malformed webhook bodies at `sendbot run`.

One real bot process. While the flood runs, and after it, parents' updates are answered;
the process stays up and its memory stays bounded (resident size measured from /proc).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from pathlib import Path

import pytest

from sendbot.adapters.telegram.webhook import BODY_WITHIN_S, MAX_BODY_BYTES
from sendbot.bench.bots import HOOK_PATH, BotSpec, bot_environment, running_bots
from sendbot.bench.fake_api import FakeBotAPI
from sendbot.bench.load import UpdateFactory
from sendbot.bench.webhook_client import SECRET_HEADER, WebhookClient
from tests.faults import tally

SECRET = "flood-webhook-secret"
OVERSIZED, SLOW, MALFORMED = 40, 100, 400
MEMORY_GROWTH_LIMIT_MB = 60


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def raw(port: int, head: bytes, body: bytes = b"", trickle: float = 0.0) -> int:
    """Send one request as given (the body a byte at a time if `trickle`); its status or 0."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = asyncio.create_task(reader.readline())
    try:
        with contextlib.suppress(OSError):  # the server may stop reading once it answered
            writer.write(head)
            pieces = [bytes([byte]) for byte in body] if trickle else [body]
            for piece in pieces:
                if answer.done():
                    break
                writer.write(piece)
                await writer.drain()
                if trickle:
                    await asyncio.sleep(trickle)
        line = await answer
        return int(line.split(b" ", 2)[1]) if line else 0
    except (OSError, IndexError, ValueError):
        return 0
    finally:
        answer.cancel()
        writer.close()


def head(length: int, secret: str = SECRET) -> bytes:
    return (
        f"POST /{HOOK_PATH} HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n{SECRET_HEADER}: {secret}\r\n\r\n"
    ).encode()


MALFORMED_BODIES = [
    b"{", b"null", b"[]", b'{"update_id": "x"}', b"\xff\xfe\x00", b'{"message": {}}',
    b"[" * 50_000 + b"]" * 50_000, json.dumps({"update_id": 1, "message": "no"}).encode(),
]  # fmt: skip


@pytest.mark.slow
async def test_a_webhook_flood_leaves_the_server_up_answering_and_its_memory_bounded(
    knowledge_dir: Path, tmp_path: Path
) -> None:
    async with asyncio.timeout(180), FakeBotAPI() as api:
        env = bot_environment(
            dict(os.environ), api.url, f"sqlite+aiosqlite:///{tmp_path / 'flood.db'}", SECRET,
            SENDBOT_KNOWLEDGE_DIR=str(knowledge_dir), SENDBOT_COUNCIL="testshire",
            SENDBOT_SECRET_KEY="flood-test-key-not-for-production",
        )  # fmt: skip
        async with running_bots(BotSpec(echo=False, env=env, cwd=tmp_path), 1) as bots:
            port, pid = bots.ports[0], bots.pids[0]
            client = WebhookClient(port, HOOK_PATH, SECRET)
            factory = UpdateFactory(first_update_id=1)
            chats = iter(range(1, 10_000))
            parents: list[int] = []

            async def parent() -> int:
                chat = next(chats)
                parents.append(chat)
                return await client.post(factory.text(chat, "/start"))

            assert await parent() == 200
            before = rss_mb(pid)
            big = b"{" + b" " * (MAX_BODY_BYTES * 2) + b"}"
            flood = [raw(port, head(len(big)), big) for _ in range(OVERSIZED)]
            flood += [raw(port, head(len(big), "wrong"), big) for _ in range(OVERSIZED)]
            flood += [raw(port, head(64), b"{" * 64, trickle=0.5) for _ in range(SLOW)]
            flood += [
                raw(port, head(len(body)), body)
                for _ in range(MALFORMED // len(MALFORMED_BODIES))
                for body in MALFORMED_BODIES
            ]
            samples: list[float] = []

            async def sample() -> None:
                while True:
                    samples.append(rss_mb(pid))
                    await asyncio.sleep(0.05)

            sampling = asyncio.create_task(sample())
            flooding = asyncio.gather(*flood)
            during = [await parent() for _ in range(10)]
            statuses = await flooding
            after = [await parent() for _ in range(10)]
            sampling.cancel()
            bots.check_alive()
            await client.close()
    assert during == [200] * 10 and after == [200] * 10, "parents answered throughout"
    oversized = statuses[:OVERSIZED]
    wrong_secret = statuses[OVERSIZED : 2 * OVERSIZED]
    slow = statuses[2 * OVERSIZED : 2 * OVERSIZED + SLOW]
    malformed = statuses[2 * OVERSIZED + SLOW :]
    assert set(oversized) <= {413, 0} and set(wrong_secret) <= {403, 0}
    assert set(slow) == {408}, f"slow bodies are cut off after {BODY_WITHIN_S} s"
    assert set(malformed) == {400}, set(malformed)
    growth = max(samples) - before
    assert growth < MEMORY_GROWTH_LIMIT_MB, f"memory grew {growth:.0f} MB"
    want = [reply.text for reply in api.recorder.replies_to(parents[0])]
    assert want, "the first parent was answered"
    result = tally(
        "webhook flood: oversized, slow, malformed bodies (1 process)",
        len(parents),
        want * len(parents),
        [reply.text for chat in parents for reply in api.recorder.replies_to(chat)],
        note=f"{len(statuses)} bad requests beside; process up; memory +{growth:.0f} MB at peak",
    )
    assert (result.lost, result.duplicated) == (0, 0), result
