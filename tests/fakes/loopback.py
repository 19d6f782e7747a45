"""The fake Bot API over real HTTP on 127.0.0.1: for long polling and `sendbot run`."""

from __future__ import annotations

import email.parser
import email.policy
import json
from urllib.parse import parse_qsl

from sendbot.bench.loopback import LoopbackServer
from tests.fakes.bot_api import FakeBotAPI, JSONDict, split_url

# Parameters whose values stay strings even when they look like JSON numbers.
_TEXT_FIELDS = {"text", "caption", "callback_query_id", "secret_token", "url", "description"}


def _decode(fields: dict[str, str]) -> JSONDict:
    """Form values back to Python: JSON objects, lists and numbers decoded."""
    decoded: JSONDict = {}
    for name, value in fields.items():
        if name in _TEXT_FIELDS:
            decoded[name] = value
            continue
        try:
            decoded[name] = json.loads(value)
        except ValueError:
            decoded[name] = value
    return decoded


def _parse_body(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Form fields and uploaded files of a request body."""
    if content_type.startswith("application/json"):
        data = json.loads(body or b"{}")
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}, {}
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        fields: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for part in parsed.iter_parts():
            name = str(part.get_param("name", header="content-disposition"))
            raw = part.get_payload(decode=True)
            payload = raw if isinstance(raw, bytes) else b""
            filename = part.get_filename()
            if filename:
                files[name] = (filename, payload)
            else:
                fields[name] = payload.decode()
        return fields, files
    return dict(parse_qsl(body.decode(), keep_blank_values=True)), {}


class LoopbackBotAPI:
    """Serves a FakeBotAPI at http://127.0.0.1:PORT (the root a bot adds /bot<token>/ to)."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api
        self._server = LoopbackServer(self._respond)

    @property
    def url(self) -> str:
        """The server's root URL."""
        return self._server.url

    async def __aenter__(self) -> LoopbackBotAPI:
        await self._server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.close()

    async def _respond(self, path: str, content_type: str, body: bytes) -> tuple[int, JSONDict]:
        """Answer one HTTP request as the fake Bot API answers the call it carries."""
        fields, files = _parse_body(content_type, body)
        token, method = split_url(path)
        return await self.api.answer(token, method, _decode(fields), files)
