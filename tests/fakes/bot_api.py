"""A fake Telegram Bot API: records every call and answers with real-shaped JSON.

`FakeBotAPI` holds the state (calls, queued updates, injected failures) and answers one
method call as Telegram would, including its checks of HTML, lengths and button data.
`FakeRequest` plugs it into python-telegram-bot as its HTTP layer (a BaseRequest);
`tests.fakes.loopback.LoopbackBotAPI` serves the same over real HTTP.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnopq"
BOT_ID = 123456789
BOT_USERNAME = "sendbot_test_bot"
OFFICERS_CHAT_ID = -1001234567890
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "blockquote", "tg-spoiler", "span", "tg-emoji",
}  # fmt: skip
SENDING_METHODS = ("sendMessage", "editMessageText", "sendDocument")

JSONDict = dict[str, Any]


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: JSONDict
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The message text or caption sent."""
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def chat_id(self) -> int | None:
        """The chat the call was for, if any."""
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def keyboard(self) -> list[list[JSONDict]]:
        """The inline keyboard's rows of buttons."""
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return list(markup.get("inline_keyboard", []))

    @property
    def labels(self) -> list[str]:
        """Every button label, row by row."""
        return [button["text"] for row in self.keyboard for button in row]


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def payload(self) -> JSONDict:
        """The JSON Telegram sends for this error."""
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class _HtmlChecker(HTMLParser):
    """Checks Telegram's HTML subset: known tags, properly nested."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: unsupported start tag {tag}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ApiError(400, f"Bad Request: can't parse entities: unexpected end tag {tag}")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text a person sees, after Telegram parses its HTML."""
    if parse_mode != "HTML":
        return text
    checker = _HtmlChecker()
    checker.feed(text)
    checker.close()
    if checker.stack:
        raise ApiError(400, "Bad Request: can't parse entities: unclosed tag")
    return "".join(checker.text)  # convert_charrefs already decoded the entities


def _check_keyboard(markup: Any) -> None:
    """Button data must be 1 to 64 bytes, labels not empty."""
    if not markup:
        return
    if isinstance(markup, str):
        markup = json.loads(markup)
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if not button.get("text") or (data is not None and not 1 <= len(data.encode()) <= 64):
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


class FakeBotAPI:
    """The state of a fake Bot API server: what was called, what it will answer."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.accepted: list[Call] = []  # the calls answered ok: what people really saw
        self.pending_updates: list[JSONDict] = []
        self.failures: dict[str, list[Exception]] = {}
        self.webhook_url = ""
        self._message_ids = itertools.count(1000)
        self._update_ids = itertools.count(1)
        self._new_updates = asyncio.Event()
        self._new_call = asyncio.Event()

    # --- what the bot sees -------------------------------------------------------------

    def bot_user(self) -> JSONDict:
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

    @staticmethod
    def chat(chat_id: int) -> JSONDict:
        """A Chat object: positive ids are private chats, negative ones supergroups."""
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Parent"}
        return {"id": chat_id, "type": "supergroup", "title": "Officers"}

    @staticmethod
    def person(user_id: int) -> JSONDict:
        """A User object for a person."""
        return {"id": user_id, "is_bot": False, "first_name": "Parent", "language_code": "en"}

    def message(self, chat_id: int, from_user: JSONDict, **content: Any) -> JSONDict:
        """A Message object."""
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": from_user,
            **content,
        }

    # --- updates a test sends ----------------------------------------------------------

    def _update(self, **content: Any) -> JSONDict:
        return {"update_id": next(self._update_ids), **content}

    def text_update(self, chat_id: int, text: str, user_id: int | None = None) -> JSONDict:
        """A person sent text (a command gets its bot_command entity, as Telegram adds)."""
        content: JSONDict = {"text": text}
        word = text.split(maxsplit=1)[0] if text.strip() else ""
        if text.startswith("/") and len(word) > 1:
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(word)}]
        sender = self.person(user_id or abs(chat_id))
        return self._update(message=self.message(chat_id, sender, **content))

    def media_update(self, chat_id: int, kind: str) -> JSONDict:
        """A person sent a photo, voice note, sticker or file."""
        file = {"file_id": f"F{kind}", "file_unique_id": f"U{kind}"}
        content: dict[str, JSONDict] = {
            "photo": {"photo": [{**file, "width": 90, "height": 90}]},
            "voice": {"voice": {**file, "duration": 3}},
            "sticker": {
                "sticker": {
                    **file,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "document": {"document": {**file, "file_name": "letter.pdf"}},
        }
        person = self.person(abs(chat_id))
        return self._update(message=self.message(chat_id, person, **content[kind]))

    def button_update(self, chat_id: int, data: str, message_id: int | None = None) -> JSONDict:
        """A person pressed an inline button under one of the bot's messages."""
        shown = self.message(chat_id, self.bot_user(), text="(message with buttons)")
        if message_id is not None:
            shown["message_id"] = message_id
        query = {
            "id": str(next(self._update_ids) * 7919),
            "from": self.person(abs(chat_id)),
            "chat_instance": str(chat_id),
            "message": shown,
            "data": data,
        }
        return self._update(callback_query=query)

    def member_update(self, chat_id: int, status: str) -> JSONDict:
        """The bot's membership in a private chat changed (status 'kicked': blocked)."""
        person = self.person(chat_id)
        bot = self.bot_user()
        change = {
            "chat": self.chat(chat_id),
            "from": person,
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": bot},
            "new_chat_member": {"status": status, "user": bot, "until_date": 0},
        }
        return self._update(my_chat_member=change)

    def queue(self, update: JSONDict) -> None:
        """Hold an update for the next getUpdates."""
        self.pending_updates.append(update)
        self._new_updates.set()

    # --- failures a test injects -------------------------------------------------------

    def fail(self, method: str, error: Exception, times: int = 1) -> None:
        """Make the next calls of a method fail (an ApiError, NetworkError or TimedOut)."""
        self.failures.setdefault(method, []).extend([error] * times)

    # --- what a test checks ------------------------------------------------------------

    def called(self, method: str) -> list[Call]:
        """Every call of one method, in order."""
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Messages sent or edited, optionally to one chat only."""
        return [
            c
            for c in self.calls
            if c.method in SENDING_METHODS and (chat_id is None or c.chat_id == chat_id)
        ]

    async def wait_until(self, check: Callable[[], bool], within: float) -> None:
        """Wait, at most `within` seconds, until a check of the recorded calls holds."""
        async with asyncio.timeout(within):
            while not check():
                self._new_call.clear()
                await self._new_call.wait()

    def delivered(self, chat_id: int | None = None) -> list[Call]:
        """Messages sent or edited that Telegram accepted, optionally to one chat only."""
        return [
            c
            for c in self.accepted
            if c.method in SENDING_METHODS and (chat_id is None or c.chat_id == chat_id)
        ]

    def clear(self) -> None:
        """Forget recorded calls."""
        self.calls.clear()
        self.accepted.clear()

    # --- answering ---------------------------------------------------------------------

    async def answer(
        self, token: str, method: str, params: JSONDict, files: dict[str, tuple[str, bytes]]
    ) -> tuple[int, JSONDict]:
        """Answer one call as Telegram would: (HTTP status, JSON body)."""
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        self.calls.append(Call(method, params, files))
        self._new_call.set()
        queued = self.failures.get(method)
        if queued:
            error = queued.pop(0)
            if isinstance(error, ApiError):
                return error.code, error.payload()
            raise error
        try:
            result = await self._result(method, params, files)
        except ApiError as error:
            return error.code, error.payload()
        self.accepted.append(self.calls[-1])
        return 200, {"ok": True, "result": result}

    async def _result(
        self, method: str, params: JSONDict, files: dict[str, tuple[str, bytes]]
    ) -> Any:
        if method == "getMe":
            return self.bot_user()
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "sendMessage":
            return self._sent_message(params, "text", MESSAGE_LIMIT)
        if method == "editMessageText":
            message = self._sent_message(params, "text", MESSAGE_LIMIT)
            message["message_id"] = int(params["message_id"])
            message["edit_date"] = int(time.time())
            return message
        if method == "sendDocument":
            message = self._sent_message(params, "caption", CAPTION_LIMIT, required=False)
            name = next(iter(files.values()))[0] if files else "file"
            message["document"] = {"file_id": "D1", "file_unique_id": "U1", "file_name": name}
            return message
        if method == "setWebhook":
            self.webhook_url = str(params.get("url", ""))
            return True
        if method == "deleteWebhook":
            self.webhook_url = ""
            return True
        if method == "getWebhookInfo":
            return {"url": self.webhook_url, "has_custom_certificate": False,
                    "pending_update_count": len(self.pending_updates)}  # fmt: skip
        if method in ("setMyCommands", "answerCallbackQuery", "sendChatAction",
                      "deleteMyCommands", "close", "logOut"):  # fmt: skip
            return True
        raise ApiError(404, "Not Found: method not found")

    def _sent_message(
        self, params: JSONDict, field_name: str, limit: int, required: bool = True
    ) -> JSONDict:
        """Check a message as Telegram does and return the Message it becomes."""
        if "chat_id" not in params:
            raise ApiError(400, "Bad Request: chat_id is empty")
        raw = str(params.get(field_name) or "")
        shown = visible_text(raw, params.get("parse_mode"))
        if required and not shown.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(shown) > limit:
            raise ApiError(400, f"Bad Request: {'message' if required else 'caption'} is too long")
        _check_keyboard(params.get("reply_markup"))
        content: JSONDict = {field_name: shown} if shown else {}
        if params.get("reply_markup"):
            markup = params["reply_markup"]
            content["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        return self.message(int(params["chat_id"]), self.bot_user(), **content)

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        """Updates from the offset on; waits up to `timeout` seconds for one to come."""
        offset = int(params.get("offset") or 0)
        self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        if not self.pending_updates and timeout > 0:
            self._new_updates.clear()
            try:
                await asyncio.wait_for(self._new_updates.wait(), timeout)
            except TimeoutError:
                return []
        return list(self.pending_updates)


def split_url(url: str) -> tuple[str, str]:
    """'.../bot<token>/<method>' -> (token, method)."""
    head, method = url.rstrip("/").rsplit("/", 1)
    segment = head.rsplit("/", 1)[1]
    return (segment[3:] if segment.startswith("bot") else segment), method


class FakeRequest(BaseRequest):
    """python-telegram-bot's HTTP layer, answered by a FakeBotAPI in process."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (seconds)."""
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answer a request from the fake's state."""
        token, api_method = split_url(url)
        params: JSONDict = dict(request_data.parameters) if request_data else {}
        files: dict[str, tuple[str, bytes]] = {}
        if request_data is not None and request_data.contains_files:
            for name, value in request_data.multipart_data.items():
                content = value[1]
                data = content if isinstance(content, bytes) else content.read()
                files[name] = (str(value[0]), data)
        status, body = await self.api.answer(token, api_method, params, files)
        return status, json.dumps(body).encode()


__all__ = [
    "BOT_USERNAME",
    "OFFICERS_CHAT_ID",
    "TOKEN",
    "ApiError",
    "Call",
    "FakeBotAPI",
    "FakeRequest",
    "NetworkError",
    "TimedOut",
]
