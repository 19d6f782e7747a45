"""The Cloud API over aiohttp: send a message, upload a file; errors as codes, never text.

Meta's error messages may quote what was sent, so only the HTTP status and the numeric
error code leave this module. Requests are paced by an aiolimiter bucket (Meta allows a
business number 80 messages a second by default).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter

from sendbot.config import Settings

TIMEOUT = aiohttp.ClientTimeout(total=20, connect=5, sock_read=15)
JSONDict = dict[str, Any]


class CloudError(Exception):
    """The Cloud API refused a request or could not be reached (status 0)."""

    def __init__(self, status: int, code: int | None = None, retry_after: float | None = None):
        super().__init__(f"HTTP {status}, code {code}")
        self.status = status
        self.code = code
        self.retry_after = retry_after


class CloudAPI:
    """One business phone number's messages and media endpoints."""

    def __init__(self, settings: Settings, session: aiohttp.ClientSession | None = None) -> None:
        if not settings.whatsapp_token or not settings.whatsapp_phone_number_id:
            raise ValueError("the WhatsApp token and phone number id are needed")
        root = settings.whatsapp_api_url.rstrip("/")
        self.base = f"{root}/{settings.whatsapp_api_version}/{settings.whatsapp_phone_number_id}"
        self._auth = {"Authorization": f"Bearer {settings.whatsapp_token.get_secret_value()}"}
        self._session = session
        self._own_session = session is None
        rate = settings.whatsapp_max_rate
        self._limiter = AsyncLimiter(rate, 1) if rate > 0 else None

    async def _client(self) -> aiohttp.ClientSession:
        """The HTTP session, opened on first use."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
            self._own_session = True
        return self._session

    async def close(self) -> None:
        """Close the session if this client opened it."""
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def send(self, to: str, payload: JSONDict) -> str:
        """Send one message to a WhatsApp id; the message id Meta gives it."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        answer = await self._post("/messages", json_body={**body, **payload})
        messages = answer.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            return str(messages[0].get("id", ""))
        return ""

    async def upload(self, filename: str, content: bytes, mime_type: str) -> str:
        """Upload a file for a document message; its media id."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", content, filename=filename, content_type=mime_type)
        answer = await self._post("/media", form=form)
        return str(answer.get("id", ""))

    async def _post(
        self, path: str, json_body: JSONDict | None = None, form: aiohttp.FormData | None = None
    ) -> JSONDict:
        """POST to the number's endpoint; the decoded answer, or CloudError."""
        session = await self._client()
        if self._limiter is not None:
            await self._limiter.acquire()
        try:
            async with session.post(
                self.base + path, json=json_body, data=form, headers=self._auth, timeout=TIMEOUT
            ) as response:
                raw = await response.read()
                status = response.status
                retry_after = _seconds(response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError):
            raise CloudError(0) from None
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if status >= 400:
            error = answer.get("error")
            code = error.get("code") if isinstance(error, dict) else None
            raise CloudError(status, code if isinstance(code, int) else None, retry_after)
        return answer


def _seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds, if it is a number."""
    try:
        return float(value) if value else None
    except ValueError:
        return None
