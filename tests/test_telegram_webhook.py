"""The webhook server answers only once an update is handled: 200, or 500 so Telegram resends.

And the adapter's "typing" action, shown only when handling is slow, which the webhook's
answer waits for too.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from sendbot.adapters.telegram import build_application
from sendbot.adapters.telegram.webhook import MAX_BODY_BYTES, SECRET_HEADER, WebhookServer
from sendbot.app import App
from sendbot.config import Settings
from sendbot.core.dialogue import Keep
from sendbot.core.messages import Inbound, Outbound
from tests.fakes.bot_api import FakeBotAPI, FakeRequest
from tests.fakes.harness import PARENT_CHAT_ID, telegram_settings

SECRET = "webhook-test-secret"
PATH = "telegram/hook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def webhook(
    settings: Settings, app: App, typing_after_s: float | None = None
) -> AsyncIterator[tuple[FakeBotAPI, str]]:
    """A started Application behind a WebhookServer; yields the fake API and the URL."""
    api = FakeBotAPI()
    application = build_application(telegram_settings(settings), app, request=FakeRequest(api))
    if typing_after_s is not None:
        application.bot_data["sendbot"].typing_after_s = typing_after_s
    port = free_port()
    async with application:
        await application.start()
        server = WebhookServer(application, "127.0.0.1", port, PATH, SECRET)
        await server.start()
        try:
            yield api, f"http://127.0.0.1:{port}/{PATH}"
        finally:
            await server.stop()
            await application.stop()


async def test_requests_without_the_secret_are_refused_unread(settings: Settings, app: App) -> None:
    async with webhook(settings, app) as (api, url), httpx.AsyncClient() as client:
        update = api.text_update(PARENT_CHAT_ID, "/start")
        wrong = await client.post(url, json=update, headers={SECRET_HEADER: SECRET + "x"})
        missing = await client.post(url, json=update)
        assert (wrong.status_code, missing.status_code) == (403, 403)
        assert api.sent() == []
        other_path = await client.post(url + "/else", json=update, headers={SECRET_HEADER: SECRET})
        assert other_path.status_code == 404


async def test_the_answer_comes_after_the_replies_were_sent(settings: Settings, app: App) -> None:
    async with webhook(settings, app) as (api, url), httpx.AsyncClient() as client:
        headers = {SECRET_HEADER: SECRET}
        for text in ("/start", "/help"):
            before = len(api.sent(PARENT_CHAT_ID))
            answer = await client.post(
                url, json=api.text_update(PARENT_CHAT_ID, text), headers=headers
            )
            assert answer.status_code == 200
            assert len(api.sent(PARENT_CHAT_ID)) > before, f"{text} answered before its replies"
        assert "/menu" in api.sent(PARENT_CHAT_ID)[-1].text


async def test_a_body_that_is_not_an_update_is_a_bad_request(settings: Settings, app: App) -> None:
    async with webhook(settings, app) as (api, url), httpx.AsyncClient() as client:
        answer = await client.post(url, content=b"{not json", headers={SECRET_HEADER: SECRET})
        assert answer.status_code == 400
        assert api.sent() == []


async def test_only_posts_of_a_sane_size_to_the_path_are_taken(
    settings: Settings, app: App
) -> None:
    async with webhook(settings, app) as (api, url), httpx.AsyncClient() as client:
        huge = b"{" + b" " * MAX_BODY_BYTES + b"}"
        too_big = await client.post(url, content=huge, headers={SECRET_HEADER: SECRET})
        fetched = await client.get(url, headers={SECRET_HEADER: SECRET})
        update = api.text_update(PARENT_CHAT_ID, "/start")
        elsewhere = await client.post(url + "x", json=update, headers={SECRET_HEADER: SECRET})
        slash = await client.post(url + "/", json=update, headers={SECRET_HEADER: SECRET})
        assert (too_big.status_code, fetched.status_code) == (413, 405)
        assert (elsewhere.status_code, slash.status_code) == (404, 200)
        assert len(api.sent()) == 2, "only the update posted to the path was answered"


async def test_a_failed_update_gets_500_and_its_redelivery_is_answered_once(
    settings: Settings, app: App
) -> None:
    handle = app.dialogue.handle
    broken: list[int] = []

    async def breaks_once(
        inbound: Inbound, keep: Keep | None = None, sent_again: bool = False
    ) -> list[Outbound]:
        if not broken:
            broken.append(1)
            raise RuntimeError("not the dialogue's own failure")
        return await handle(inbound, keep, sent_again=sent_again)

    async with webhook(settings, app) as (api, url), httpx.AsyncClient() as client:
        app.dialogue.handle = breaks_once  # type: ignore[method-assign]
        headers = {SECRET_HEADER: SECRET}
        update = api.text_update(PARENT_CHAT_ID, "/help")
        failed = await client.post(url, json=update, headers=headers)
        assert failed.status_code == 500, "Telegram must send the update again"
        api.clear()
        again = await client.post(url, json=update, headers=headers)
        assert again.status_code == 200
        assert len([c for c in api.sent(PARENT_CHAT_ID) if "/menu" in c.text]) == 1
        once_more = await client.post(url, json=update, headers=headers)
        assert once_more.status_code == 200
        assert len([c for c in api.sent(PARENT_CHAT_ID) if "/menu" in c.text]) == 1


async def test_slow_handling_shows_typing_before_the_reply(settings: Settings, app: App) -> None:
    handle = app.dialogue.handle

    async def slowly(
        inbound: Inbound, keep: Keep | None = None, sent_again: bool = False
    ) -> list[Outbound]:
        await asyncio.sleep(0.2)
        return await handle(inbound, keep, sent_again=sent_again)

    async with webhook(settings, app, typing_after_s=0.05) as (api, url):
        async with httpx.AsyncClient() as client:
            app.dialogue.handle = slowly  # type: ignore[method-assign]
            answer = await client.post(
                url, json=api.text_update(PARENT_CHAT_ID, "/start"), headers={SECRET_HEADER: SECRET}
            )
        assert answer.status_code == 200
        methods = [c.method for c in api.calls]
        assert methods.count("sendChatAction") == 1
        assert methods.index("sendChatAction") < methods.index("sendMessage")
        (typing,) = api.called("sendChatAction")
        assert typing.params["action"] == "typing"


async def test_quick_handling_sends_no_typing(settings: Settings, app: App) -> None:
    async with webhook(settings, app, typing_after_s=5.0) as (api, url):
        async with httpx.AsyncClient() as client:
            for text in ("/start", "how long does an EHCP take?"):
                answer = await client.post(
                    url, json=api.text_update(PARENT_CHAT_ID, text), headers={SECRET_HEADER: SECRET}
                )
                assert answer.status_code == 200
        assert api.called("sendChatAction") == []
        assert len(api.called("sendMessage")) >= 2
