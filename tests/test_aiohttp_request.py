"""The aiohttp networking backend keeps PTB's contract, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from sendbot.adapters.telegram.aiohttp_request import AiohttpRequest
from tests.fakes.bot_api import TOKEN, ApiError, FakeBotAPI
from tests.fakes.loopback import LoopbackBotAPI


@asynccontextmanager
async def bot_on(url: str, request: AiohttpRequest) -> AsyncIterator[Bot]:
    """An initialised Bot whose API root is `url`, using the given request."""
    bot = Bot(TOKEN, base_url=f"{url}/bot", request=request, get_updates_request=request)
    async with bot:
        yield bot


async def test_form_parameters_and_answers_go_through() -> None:
    api = FakeBotAPI()
    async with LoopbackBotAPI(api) as server, bot_on(server.url, AiohttpRequest()) as bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="h:y")]])
        sent = await bot.send_message(4242, "<b>Hello</b> & welcome", "HTML", reply_markup=markup)
    (call,) = api.called("sendMessage")
    assert call.params["text"] == "<b>Hello</b> & welcome"
    assert call.params["parse_mode"] == "HTML"
    assert call.keyboard == [[{"text": "Yes", "callback_data": "h:y"}]]
    assert sent.chat_id == 4242 and sent.text == "Hello & welcome"  # as Telegram shows it


async def test_a_file_is_uploaded_as_multipart() -> None:
    api = FakeBotAPI()
    async with LoopbackBotAPI(api) as server, bot_on(server.url, AiohttpRequest()) as bot:
        await bot.send_document(4242, b'{"held": []}', filename="my-data.json", caption="Yours")
    (call,) = api.called("sendDocument")
    assert call.files == {"document": ("my-data.json", b'{"held": []}')}
    assert call.params["caption"] == "Yours" and call.params["chat_id"] == 4242


async def test_bot_api_errors_become_ptbs_errors() -> None:
    api = FakeBotAPI()
    api.fail("sendMessage", ApiError(400, "Bad Request: can't parse entities"))
    async with LoopbackBotAPI(api) as server, bot_on(server.url, AiohttpRequest()) as bot:
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(4242, "<b>unclosed")


@asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """A server that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_server_that_never_answers_times_out() -> None:
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        async with silent_server() as url:
            started = asyncio.get_running_loop().time()
            with pytest.raises(TimedOut):
                await request.post(f"{url}/bot{TOKEN}/getMe")
            assert asyncio.get_running_loop().time() - started < 5
    finally:
        await request.shutdown()


async def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
        assert not isinstance(raised.value, TimedOut)
        assert TOKEN not in str(raised.value), "the token must not reach logs through errors"
    finally:
        await request.shutdown()


async def test_it_must_be_initialised_and_can_be_reopened() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "POST")
    api = FakeBotAPI()
    async with LoopbackBotAPI(api) as server:
        for _ in range(2):  # initialize after shutdown opens a new session
            await request.initialize()
            assert (await request.post(f"{server.url}/bot{TOKEN}/getMe"))["is_bot"] is True
            await request.shutdown()
    assert request.read_timeout == 5.0


async def test_an_error_quoting_the_url_loses_the_token() -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:bad-port/bot{TOKEN}/getMe")
        assert TOKEN not in str(raised.value) and "bot<token>" in str(raised.value)
    finally:
        await request.shutdown()


async def test_calls_without_files_are_sent_as_json() -> None:
    seen: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        seen.append(head + await reader.readexactly(length))
        body = b'{"ok": true, "result": true}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    request = AiohttpRequest()
    await request.initialize()
    try:
        data = RequestData([RequestParameter("text", "Hello £5 & <b>more</b>", None)])
        assert await request.post(f"{url}/bot{TOKEN}/sendMessage", data) is True
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()
    (raw,) = seen
    head, body = raw.split(b"\r\n\r\n", 1)
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body) == {"text": "Hello £5 & <b>more</b>"}
