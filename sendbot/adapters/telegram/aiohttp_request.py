"""PTB's networking backend on aiohttp instead of httpx: the same contract, a quarter the CPU.

python-telegram-bot sends every Bot API call through a `BaseRequest`; its default,
`HTTPXRequest`, spends about 1.5 ms of CPU on each call (measured against a loopback
server: 1.9 ms a call with httpx, 0.43 ms with aiohttp, `sendbot bench e2e` shows it per
update). Telegram calls are most of what the bot does, so the bot uses aiohttp, whose HTTP
parser is compiled. This class only translates: PTB's parameters in (as JSON, or as a
multipart form when there is a file), status and body out, aiohttp's timeouts and
connection errors turned into PTB's `TimedOut` and `NetworkError`, which PTB, the rate
limiter and the outbox already handle.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from sendbot.logging_setup import mask_tokens

# PTB's own defaults (HTTPXRequest), in seconds.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0
POOL_TIMEOUT = 1.0
_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """Bot API requests over one aiohttp session with a bounded connection pool."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = READ_TIMEOUT,
        connect_timeout: float | None = CONNECT_TIMEOUT,
        write_timeout: float | None = WRITE_TIMEOUT,
        pool_timeout: float | None = POOL_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._timeouts = {
            "read": read_timeout,
            "connect": connect_timeout,
            "write": write_timeout,
            "pool": pool_timeout,
        }
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout, in seconds."""
        return self._timeouts["read"]

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the HTTP status and the body."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        data: Any = None
        headers = None
        if request_data is not None and files:
            data = _form(request_data, files)
        elif request_data is not None:
            # Telegram takes JSON for every call without a file; a form would be quoted
            # byte by byte in Python (urllib), most of the cost of a long message.
            data, headers = request_data.json_payload, _JSON

        timeout = self._timeout(
            read_timeout,
            write_timeout,
            connect_timeout,
            pool_timeout,
            default_write=MEDIA_WRITE_TIMEOUT if files else self._timeouts["write"],
        )
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeouts are asyncio.TimeoutError
            raise TimedOut from error
        except aiohttp.ClientError as error:
            text = mask_tokens(str(error))  # some aiohttp errors quote the URL
            raise NetworkError(f"aiohttp.{type(error).__name__}: {text}") from error

    def _timeout(
        self,
        read: ODVInput[float],
        write: ODVInput[float],
        connect: ODVInput[float],
        pool: ODVInput[float],
        default_write: float | None,
    ) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts from PTB's four.

        aiohttp waits for a pooled connection within `connect`, so that gets pool plus
        connect; it has no write timeout, so the whole request is bounded by the sum of
        all four (unbounded when any is None).
        """
        chosen = {
            "read": _given(read, self._timeouts["read"]),
            "write": _given(write, default_write),
            "connect": _given(connect, self._timeouts["connect"]),
            "pool": _given(pool, self._timeouts["pool"]),
        }
        values = list(chosen.values())
        total = None if any(v is None for v in values) else sum(v for v in values if v)
        connect_and_pool = (
            None
            if chosen["connect"] is None or chosen["pool"] is None
            else chosen["connect"] + chosen["pool"]
        )
        return aiohttp.ClientTimeout(
            total=total,
            connect=connect_and_pool,
            sock_connect=chosen["connect"],
            sock_read=chosen["read"],
        )


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """A timeout PTB passed, or our default where it passed none."""
    if isinstance(value, DefaultValue):
        return default
    return value


def _form(request_data: RequestData, files: dict[str, Any]) -> aiohttp.FormData:
    """A multipart body: every plain parameter, then every file."""
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():
        if not isinstance(content, bytes):
            content = content.read()
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
