"""The fake Bot API over real HTTP on 127.0.0.1: for long polling and `sendbot run`."""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import json
from typing import Any
from urllib.parse import parse_qsl

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
        self.port = 0
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[Any]] = set()

    @property
    def url(self) -> str:
        """The server's root URL."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> LoopbackBotAPI:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Read one HTTP/1.1 request, answer it; False when the client has gone."""
        line = await reader.readline()
        if not line:
            return False
        _verb, path, _version = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
        fields, files = _parse_body(headers.get("content-type", ""), body)
        token, method = split_url(path.split("?", 1)[0])
        status, payload = await self.api.answer(token, method, _decode(fields), files)
        data = json.dumps(payload).encode()
        writer.write(
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            "Connection: keep-alive\r\n\r\n".encode()
            + data
        )
        await writer.drain()
        return True
