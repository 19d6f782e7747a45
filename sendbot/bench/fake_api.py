"""A lean fake Telegram Bot API on loopback HTTP for benchmarks: records each reply's arrival.

It answers the methods a bot calls with real-shaped JSON and notes, for every
sendMessage or editMessageText, the chat, the text and the time it came in.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from sendbot.bench.loopback import LoopbackServer
from sendbot.clock import system_clock

BOT_ID = 987654321
TOKEN = f"{BOT_ID}:BenchTokenNotARealOne_abcdefghijklmnop"
BOT_USERNAME = "sendbot_bench_bot"
REPLY_METHODS = ("sendMessage", "editMessageText")
TRUE_METHODS = (
    "setMyCommands", "deleteMyCommands", "setWebhook", "deleteWebhook", "sendChatAction",
    "answerCallbackQuery", "close", "logOut",
)  # fmt: skip


@dataclass(frozen=True)
class Reply:
    """One message the bot sent (or edited)."""

    chat_id: int
    text: str
    at: float  # time.perf_counter() when it arrived


@dataclass
class Recorder:
    """Everything the bot asked of the fake API."""

    replies: dict[int, list[Reply]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def note(self, method: str, params: dict[str, Any]) -> None:
        """Count a call; keep a reply's chat, text and arrival time."""
        self.counts[method] = self.counts.get(method, 0) + 1
        if method in REPLY_METHODS:
            chat_id = int(params["chat_id"])
            reply = Reply(chat_id, str(params.get("text", "")), time.perf_counter())
            self.replies.setdefault(chat_id, []).append(reply)

    def replies_to(self, chat_id: int) -> list[Reply]:
        """The replies a chat got, in the order they came in."""
        return self.replies.get(chat_id, [])

    @property
    def total_replies(self) -> int:
        """How many replies came in, all chats together."""
        return sum(len(r) for r in self.replies.values())


def bot_user() -> dict[str, Any]:
    """The bot's own User object."""
    return {
        "id": BOT_ID,
        "is_bot": True,
        "first_name": "sendbot",
        "username": BOT_USERNAME,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    """A request's parameters: PTB sends a form whose values are JSON or plain strings."""
    if content_type.startswith("application/json"):
        loaded = json.loads(body or b"{}")
        return dict(loaded) if isinstance(loaded, dict) else {}
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


class FakeBotAPI:
    """Serves the fake at http://127.0.0.1:PORT; bots add /bot<token>/<method>."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self._message_ids = itertools.count(1)
        self._server = LoopbackServer(self._respond, backlog=1024)

    @property
    def url(self) -> str:
        """The root URL to give a bot (SENDBOT_TELEGRAM_API_URL)."""
        return self._server.url

    async def __aenter__(self) -> FakeBotAPI:
        await self._server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.close()

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) for one call, as Telegram would answer it."""
        self.recorder.note(method, params)
        if method in REPLY_METHODS:
            chat_id = int(params["chat_id"])
            message = {
                "message_id": int(params.get("message_id") or next(self._message_ids)),
                "date": int(system_clock().timestamp()),
                "chat": {"id": chat_id, "type": "private", "first_name": "Parent"},
                "from": bot_user(),
                "text": str(params.get("text", "")),
            }
            return 200, {"ok": True, "result": message}
        if method == "getMe":
            return 200, {"ok": True, "result": bot_user()}
        if method in TRUE_METHODS:
            return 200, {"ok": True, "result": True}
        if method == "getUpdates":
            return 200, {"ok": True, "result": []}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    async def _respond(
        self, path: str, content_type: str, body: bytes
    ) -> tuple[int, dict[str, Any]]:
        """Answer one HTTP request: the method is the path's last part."""
        method = path.rstrip("/").rsplit("/", 1)[1]
        return self.answer(method, _params(content_type, body))
