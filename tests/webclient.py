"""A web chat client for tests: the real aiohttp app on a test server, a cookie jar."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from sendbot.adapters.web.server import build_web_app
from sendbot.app import App

_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


class WebClient:
    """One browser: its cookie, its CSRF token, the chat's JSON API."""

    def __init__(self, client: TestClient[web.Request, web.Application]) -> None:
        self.client = client
        self.csrf = ""

    async def open(self) -> str:
        """Load the chat page (getting a session) and read its CSRF token; the page."""
        response = await self.client.get("/chat")
        page = await response.text()
        found = _CSRF.search(page)
        assert found, "no CSRF token on the page"
        self.csrf = found.group(1)
        return page

    async def post(self, path: str, payload: dict[str, Any], status: int | None = 200) -> Any:
        """POST JSON with the CSRF header; the decoded answer (of any status if None)."""
        response = await self.client.post(path, json=payload, headers={"X-CSRF-Token": self.csrf})
        if status is not None:
            assert response.status == status, (response.status, await response.text())
        return await response.json()

    async def send(self, text: str) -> list[dict[str, Any]]:
        """Type a message; the new messages."""
        messages: list[dict[str, Any]] = (await self.post("/chat/send", {"text": text}))["messages"]
        return messages

    async def press(self, data: str) -> list[dict[str, Any]]:
        """Press a button by its data; the new messages."""
        messages: list[dict[str, Any]] = (await self.post("/chat/press", {"data": data}))[
            "messages"
        ]
        return messages

    async def history(self, after: int = 0) -> list[dict[str, Any]]:
        """The stored conversation."""
        response = await self.client.get(f"/api/history?after={after}")
        assert response.status == 200
        messages: list[dict[str, Any]] = (await response.json())["messages"]
        return messages


@asynccontextmanager
async def web_client(app: App, jobs: bool = False) -> AsyncIterator[WebClient]:
    """A client of the web chat serving `app` (jobs off unless asked)."""
    async with TestClient(TestServer(build_web_app(app, jobs=jobs))) as client:
        chat = WebClient(client)
        await chat.open()
        yield chat
