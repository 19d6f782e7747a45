"""Posting updates to bot processes as Telegram does: HTTP/1.1 POSTs on kept-alive connections.

Deliberately small, so the load generator spends little of the machine's CPU: one request
at a time per connection, connections reused, bodies read by Content-Length.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class _Connection:
    """One kept-alive connection to a bot process."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def post(self, request: bytes) -> int:
        """Send one request, read the response; return its status."""
        self.writer.write(request)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed by the bot")
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        chunked = False
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            while size := int((await self.reader.readline()).strip() or b"0", 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        elif length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        """Close the connection."""
        self.writer.close()


class WebhookClient:
    """Posts updates to one bot process's webhook URL, reusing connections."""

    def __init__(self, port: int, path: str, secret_token: str, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.path = "/" + path.strip("/")
        self.secret_token = secret_token
        self._idle: list[_Connection] = []

    def _request(self, update: dict[str, Any]) -> bytes:
        body = json.dumps(update).encode()
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{SECRET_HEADER}: {self.secret_token}\r\n\r\n"
        )
        return head.encode() + body

    async def post(self, update: dict[str, Any]) -> int:
        """Deliver one update and wait for the answer; return the HTTP status.

        A kept-alive connection the server closed while idle fails at once: the request
        is then sent again on a new connection, as Telegram would (a copy is harmless).
        """
        request = self._request(update)
        if self._idle:
            connection = self._idle.pop()
            try:
                return await self._send(connection, request)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass  # stale: try once more on a fresh connection
        return await self._send(await self._connect(), request)

    async def _send(self, connection: _Connection, request: bytes) -> int:
        """Send on a connection, keeping it for reuse only if the exchange completed."""
        try:
            status = await connection.post(request)
        except BaseException:
            connection.close()  # failed or cancelled mid-request: its state is unknown
            raise
        self._idle.append(connection)
        return status

    async def _connect(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return _Connection(reader, writer)

    async def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            connection = self._idle.pop()
            connection.close()
            with contextlib.suppress(Exception):
                await connection.writer.wait_closed()
