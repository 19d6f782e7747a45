"""A fake WhatsApp Cloud API in-process (an aiohttp test server), and a parent's phone.

`FakeCloudAPI` answers the messages and media endpoints as Meta does, checking what Meta
checks (the token, WhatsApp's limits on text, buttons and lists) and the 24-hour rule
(a free-form message to someone who has not written within a day gets error 131047). It
records every message. `WhatsAppPhone` is a parent: it posts signed webhook
notifications to the bot's server and reads back what the fake received for them.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

TOKEN = "EAAGfakeCloudApiTokenForTests"
PHONE_NUMBER_ID = "109876543210"
VERSION = "v23.0"
APP_SECRET = "fake-app-secret-for-tests"
VERIFY_TOKEN = "fake-verify-token-for-tests"
WABA_ID = "102290129340398"
UNITS = {"text": 4096, "body": 1024, "button": 20, "row": 24, "description": 72, "opener": 20}

JSONDict = dict[str, Any]


def units(text: str) -> int:
    """Length in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass
class Sent:
    """One message the bot sent."""

    to: str
    payload: JSONDict
    message_id: str

    @property
    def type(self) -> str:
        """text, interactive, template or document."""
        return str(self.payload.get("type"))

    @property
    def text(self) -> str:
        """The words shown: a text's body or an interactive message's body."""
        if self.type == "text":
            return str(self.payload["text"]["body"])
        if self.type == "interactive":
            return str(self.payload["interactive"]["body"]["text"])
        return ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(shown label, id) of every button or list row; (label, url) for a link button."""
        if self.type != "interactive":
            return []
        interactive = self.payload["interactive"]
        action = interactive["action"]
        if interactive["type"] == "button":
            return [(b["reply"]["title"], b["reply"]["id"]) for b in action["buttons"]]
        if interactive["type"] == "list":
            return [
                (r.get("description", r["title"]), r["id"])
                for section in action["sections"]
                for r in section["rows"]
            ]
        parameters = action["parameters"]
        return [(parameters["display_text"], parameters["url"])]


class CloudError(Exception):
    """An error answer, as Meta shapes it."""

    def __init__(self, status: int, code: int) -> None:
        super().__init__(code)
        self.status, self.code = status, code

    def response(self) -> web.Response:
        body = {
            "error": {"message": f"(#{self.code})", "type": "OAuthException", "code": self.code}
        }
        return web.json_response(body, status=self.status)


@dataclass
class FakeCloudAPI:
    """The state of the fake: what was sent, who wrote when, failures to inject."""

    clock: Callable[[], datetime]
    sent: list[Sent] = field(default_factory=list)
    uploads: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    last_written: dict[str, datetime] = field(default_factory=dict)
    failures: list[CloudError] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, status: int, code: int, times: int = 1) -> None:
        """Answer the next sends with this error."""
        self.failures.extend(CloudError(status, code) for _ in range(times))

    def to(self, wa_id: str) -> list[Sent]:
        """Every message sent to one person."""
        return [s for s in self.sent if s.to == wa_id]

    def app(self) -> web.Application:
        """The fake's aiohttp application."""
        application = web.Application(client_max_size=20_000_000)
        base = f"/{VERSION}/{PHONE_NUMBER_ID}"
        application.router.add_post(f"{base}/messages", self._messages)
        application.router.add_post(f"{base}/media", self._media)
        return application

    def _check_token(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            raise CloudError(401, 190)

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request)
            body = await request.json()
            if self.failures:
                raise self.failures.pop(0)
            to = str(body["to"])
            _check_message(body)
            if body["type"] != "template" and not self._window_open(to):
                raise CloudError(400, 131047)
        except CloudError as error:
            return error.response()
        message_id = f"wamid.out{next(self._ids)}"
        self.sent.append(Sent(to, body, message_id))
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": message_id}],
            }
        )

    async def _media(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request)
        except CloudError as error:
            return error.response()
        form = await request.post()
        upload = form["file"]
        assert isinstance(upload, web.FileField)
        media_id = f"media{next(self._ids)}"
        self.uploads[media_id] = (upload.filename, upload.file.read(), str(form["type"]))
        return web.json_response({"id": media_id})

    def _window_open(self, to: str) -> bool:
        last = self.last_written.get(to)
        return last is not None and self.clock() < last + timedelta(hours=24)


def _check_message(body: JSONDict) -> None:
    """Meta's checks of a message's shape and WhatsApp's limits (error 131009 if broken)."""
    assert (
        body.get("messaging_product") == "whatsapp" and body.get("recipient_type") == "individual"
    )
    kind = body["type"]
    problems: list[bool] = []
    if kind == "text":
        text = body["text"]["body"]
        problems.append(not text.strip() or units(text) > UNITS["text"])
    elif kind == "interactive":
        interactive = body["interactive"]
        text = interactive["body"]["text"]
        problems.append(not text.strip() or units(text) > UNITS["body"])
        action = interactive["action"]
        if interactive["type"] == "button":
            buttons = action["buttons"]
            titles = [b["reply"]["title"] for b in buttons]
            problems.append(not 1 <= len(buttons) <= 3)
            problems.append(any(units(t) > UNITS["button"] or not t for t in titles))
            problems.append(len(set(titles)) != len(titles))
        elif interactive["type"] == "list":
            rows = [r for s in action["sections"] for r in s["rows"]]
            problems.append(not 1 <= len(rows) <= 10)
            problems.append(units(action["button"]) > UNITS["opener"])
            problems.append(any(units(r["title"]) > UNITS["row"] for r in rows))
            problems.append(
                any(units(r.get("description", "")) > UNITS["description"] for r in rows)
            )
            problems.append(len({r["id"] for r in rows}) != len(rows))
        elif interactive["type"] == "cta_url":
            parameters = action["parameters"]
            problems.append(units(parameters["display_text"]) > UNITS["button"])
            problems.append(not parameters["url"].startswith(("https://", "http://")))
        else:
            problems.append(True)
    elif kind == "template":
        problems.append(not body["template"]["name"])
    elif kind == "document":
        problems.append(not body["document"]["id"])
    else:
        problems.append(True)
    if any(problems):
        raise CloudError(400, 131009)


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    """The X-Hub-Signature-256 header Meta sends with a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WhatsAppPhone:
    """One parent's WhatsApp, writing to the bot's webhook."""

    def __init__(
        self, client: TestClient[web.Request, web.Application], api: FakeCloudAPI, wa_id: str
    ):
        self.client = client
        self.api = api
        self.wa_id = wa_id
        self._ids = itertools.count(1)

    def notification(self, message: JSONDict) -> JSONDict:
        """A webhook body holding one message from this person."""
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": WABA_ID,
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "441632960000",
                                    "phone_number_id": PHONE_NUMBER_ID,
                                },
                                "contacts": [
                                    {"profile": {"name": "A Parent"}, "wa_id": self.wa_id}
                                ],
                                "messages": [message],
                            },
                        }
                    ],
                }
            ],
        }

    def status(self, message_id: str, status: str, code: int | None = None) -> JSONDict:
        """A webhook body holding Meta's status of a message sent to this person (a failed
        one with an error, its title and details, as Meta words them)."""
        body = self.notification({})
        value = body["entry"][0]["changes"][0]["value"]
        del value["messages"], value["contacts"]
        report: JSONDict = {
            "id": message_id,
            "status": status,
            "timestamp": str(int(self.api.clock().timestamp())),
            "recipient_id": self.wa_id,
        }
        if code is not None:
            report["errors"] = [
                {
                    "code": code,
                    "title": "Message undeliverable",
                    "message": f"Message to {self.wa_id} undeliverable",
                    "error_data": {"details": "Message failed to send."},
                }
            ]
        value["statuses"] = [report]
        return body

    def message(self, kind: str, content: JSONDict | None = None) -> JSONDict:
        """A message of one type from this person, with a fresh id."""
        stamp = int(self.api.clock().timestamp())
        body: JSONDict = {
            "from": self.wa_id,
            "id": f"wamid.in{next(self._ids)}.{uuid.uuid4().hex}",
            "timestamp": str(stamp),
            "type": kind,
        }
        if content is not None:
            body[kind] = content
        return body

    async def post(self, body: JSONDict, signature: str | None = "valid") -> int:
        """POST a notification to the webhook; the HTTP status."""
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = sign(raw) if signature == "valid" else signature
        response = await self.client.post("/whatsapp/webhook", data=raw, headers=headers)
        return response.status

    async def deliver(self, message: JSONDict) -> list[Sent]:
        """The person sends a message; what the bot sent them in answer."""
        self.api.last_written[self.wa_id] = self.api.clock()
        mark = len(self.api.sent)
        status = await self.post(self.notification(message))
        assert status == 200, status
        return [s for s in self.api.sent[mark:] if s.to == self.wa_id]

    async def send(self, text: str) -> list[Sent]:
        """Type a message."""
        return await self.deliver(self.message("text", {"body": text}))

    async def press(self, choice_id: str, title: str = "", list_row: bool = False) -> list[Sent]:
        """Press a reply button, or choose a list row."""
        kind = "list_reply" if list_row else "button_reply"
        content = {"type": kind, kind: {"id": choice_id, "title": title or choice_id}}
        return await self.deliver(self.message("interactive", content))

    async def media(self, kind: str) -> list[Sent]:
        """Send a photo, voice note, sticker or file."""
        content = {"id": "media-in", "mime_type": "image/jpeg"}
        wa_kind = {"photo": "image", "voice": "audio"}.get(kind, kind)
        if wa_kind == "audio":
            content["voice"] = True  # type: ignore[assignment]
        return await self.deliver(self.message(wa_kind, content))


@asynccontextmanager
async def fake_cloud(clock: Callable[[], datetime]) -> AsyncIterator[tuple[FakeCloudAPI, str]]:
    """The fake Cloud API on a local test server; the API and its root URL."""
    api = FakeCloudAPI(clock)
    server = TestServer(api.app())
    await server.start_server()
    try:
        yield api, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
