"""The web chat over HTTP: sessions, CSRF, limits, origins, bad requests, history, delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from sendbot.adapters.web.history import History
from sendbot.adapters.web.live import Notifier, WebSender
from sendbot.adapters.web.sessions import open_session
from sendbot.app import App, open_app
from sendbot.config import Settings
from sendbot.core.messages import Outbound
from sendbot.core.outbox import deliver_due, enqueue
from sendbot.core.privacy.retention import purge_expired
from sendbot.storage.models import Conversation, WebMessage
from tests.webclient import WebClient, web_client


def web_settings(settings: Settings, **changes: object) -> Settings:
    """Test settings for plain-HTTP web chat (the cookie is not Secure)."""
    return settings.model_copy(update={"web_cookie_secure": False, **changes})


@pytest.fixture
async def web_app(settings: Settings) -> AsyncIterator[App]:
    async with open_app(web_settings(settings)) as app:
        yield app


@pytest.fixture
async def chat(web_app: App) -> AsyncIterator[WebClient]:
    async with web_client(web_app) as client:
        yield client


async def count(app: App, model: type) -> int:
    async with app.database.unit_of_work() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(model))).scalar())


async def test_a_question_is_answered_and_kept_encrypted(web_app: App, chat: WebClient) -> None:
    messages = await chat.send("What is an EHC plan?")
    assert messages[0] == {
        "id": messages[0]["id"], "who": "you", "html": "What is an EHC plan?",
        "buttons": [], "download": False,
    }  # fmt: skip
    assert messages[1]["who"] == "bot" and messages[1]["html"].startswith("<strong>")
    assert [m["id"] for m in await chat.history()] == [m["id"] for m in messages]
    async with web_app.database.unit_of_work() as uow:
        bodies = list((await uow.session.execute(select(WebMessage.body))).scalars())
    assert bodies and not any("EHC" in body for body in bodies)
    # Coming back (a new page load with the same cookie) shows the conversation.
    assert "What is an EHC plan?" in await chat.open()


async def test_the_cookie_is_httponly_samesite_and_secure_by_default(settings: Settings) -> None:
    async with open_app(settings) as app, web_client(app) as client:
        response = await client.client.get("/chat")
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-sendbot_session=")
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'self'" in policy


async def test_posts_need_the_sessions_csrf_token_and_store_nothing(
    web_app: App, chat: WebClient
) -> None:
    for token in ("", "0" * 48, None):
        headers = {} if token is None else {"X-CSRF-Token": token}
        response = await chat.client.post("/chat/send", json={"text": "hi"}, headers=headers)
        assert response.status == 403
        assert "reload the page" in (await response.json())["error"]
    # A form without the field, and a token from another session, fail alike.
    response = await chat.client.post("/chat/send", data={"text": "hi"})
    assert response.status == 403
    other = open_session(web_app.services.keyring, "x" * 43)
    response = await chat.client.post(
        "/chat/send", json={"text": "hi"}, headers={"X-CSRF-Token": other.csrf}
    )
    assert response.status == 403
    assert await count(web_app, WebMessage) == 0
    assert await count(web_app, Conversation) == 0


async def test_no_session_no_post(web_app: App) -> None:
    async with web_client(web_app) as client:
        client.client.session.cookie_jar.clear()
        response = await client.client.post(
            "/chat/send", json={"text": "hi"}, headers={"X-CSRF-Token": client.csrf}
        )
        assert response.status == 403
    assert await count(web_app, Conversation) == 0


async def test_oversized_and_malformed_requests_get_a_clear_error(
    web_app: App, chat: WebClient
) -> None:
    limit = web_app.settings.max_message_chars
    error = await chat.post("/chat/send", {"text": "a" * (limit + 1)}, status=413)
    assert f"parts of up to {limit} characters" in error["error"]
    response = await chat.client.post(
        "/chat/send",
        data=b'{"text": "' + b"a" * 70_000 + b'"}',
        headers={"X-CSRF-Token": chat.csrf, "Content-Type": "application/json"},
    )
    assert response.status == 413
    assert "too long" in (await response.json())["error"]
    for body in (b"{not json", b"[1, 2]", b'{"text": 5}', b"{}"):
        response = await chat.client.post(
            "/chat/send",
            data=body,
            headers={"X-CSRF-Token": chat.csrf, "Content-Type": "application/json"},
        )
        assert response.status == 400
        assert "could not be read" in (await response.json())["error"]
    await chat.post("/chat/press", {"data": "x" * 65}, status=400)
    assert await count(web_app, WebMessage) == 0
    assert await count(web_app, Conversation) == 0


async def test_rate_limits_per_session_and_per_address(settings: Settings) -> None:
    changed = web_settings(settings, web_rate_session="3/minute", web_rate_ip="5/minute")
    async with open_app(changed) as app, web_client(app) as first:
        for _ in range(3):
            await first.send("hello")
        error = await first.post("/chat/send", {"text": "hello"}, status=429)
        assert "wait a minute" in error["error"]
        # Another session from the same address has its own session limit, not the address's.
        first.client.session.cookie_jar.clear()
        await first.open()
        await first.send("hello")
        await first.post("/chat/send", {"text": "hello"}, status=429)  # 5 per address used


async def test_user_text_is_escaped_everywhere(chat: WebClient) -> None:
    messages = await chat.send('<script>alert("x")</script> <b onclick=1>hi</b>')
    assert (
        messages[0]["html"]
        == '&lt;script&gt;alert("x")&lt;/script&gt; &lt;b onclick=1&gt;hi&lt;/b&gt;'
    )
    page = await chat.open()
    assert "<script>alert" not in page and "onclick=1>" not in page


async def test_embedding_only_on_allowed_origins(settings: Settings) -> None:
    allowed = "https://localoffer.example.gov.uk"
    changed = web_settings(settings, web_allowed_origins=allowed)
    async with open_app(changed) as app, web_client(app) as client:
        if True:
            response = await client.client.get("/chat")
            assert (
                f"frame-ancestors 'self' {allowed}" in response.headers["Content-Security-Policy"]
            )
            assert "X-Frame-Options" not in response.headers
            widget = await client.client.get("/widget.js", headers={"Origin": allowed})
            assert widget.headers["Access-Control-Allow-Origin"] == allowed
            assert "/chat?embed=1" in await widget.text()
            other = await client.client.get(
                "/widget.js", headers={"Origin": "https://evil.example"}
            )
            assert "Access-Control-Allow-Origin" not in other.headers


async def test_two_processes_serve_one_conversation(settings: Settings) -> None:
    async with (
        open_app(web_settings(settings)) as one,
        open_app(web_settings(settings)) as two,
        web_client(one) as first,
        web_client(two) as second,
    ):
        if True:
            await first.send("/start")
            jar = second.client.session.cookie_jar
            jar.clear()
            jar.update_cookies(
                {c.key: c.value for c in first.client.session.cookie_jar},
                response_url=second.client.make_url("/"),
            )
            await second.open()
            sent = await second.send("What is an EHC plan?")
            assert [m["id"] for m in await first.history()][-len(sent) :] == [m["id"] for m in sent]


async def test_an_outbox_message_reaches_the_web_history(web_app: App, chat: WebClient) -> None:
    await chat.send("/start")
    cookie = next(iter(chat.client.session.cookie_jar))
    session = open_session(web_app.services.keyring, cookie.value)
    keyring = web_app.services.keyring
    async with web_app.database.unit_of_work() as uow:
        await enqueue(
            uow,
            dedupe_key="test:reply",
            channel="web",
            chat_ref=keyring.encrypt(session.handle),
            message=Outbound(html="An officer's <b>reply</b>"),
            keyring=keyring,
        )
    history = History(web_app.database, keyring, 100)
    sender = WebSender(history, keyring, Notifier(), web_app.services.clock)
    now = web_app.services.clock() + timedelta(minutes=1)
    report = await deliver_due(web_app.database, keyring, sender, now)
    assert report.sent == 1
    assert (await chat.history())[-1]["html"] == "An officer's <strong>reply</strong>"


async def test_clear_ends_the_conversation(web_app: App, chat: WebClient) -> None:
    await chat.send("/start")
    await chat.post("/chat/clear", {})
    assert await count(web_app, WebMessage) == 0
    page = await chat.open()  # a new session: a fresh page with the Start button
    assert "Start the chat" in page


async def test_no_script_forms_work(web_app: App, chat: WebClient) -> None:
    response = await chat.client.post(
        "/chat/send", data={"csrf": chat.csrf, "text": "What is an EHC plan?"},
        allow_redirects=False,
    )  # fmt: skip
    assert response.status == 303 and response.headers["Location"] == "/chat#end"
    page = await chat.open()
    assert "What is an EHC plan?" in page and 'action="/chat/press"' in page
    response = await chat.client.post("/chat/send", data={"csrf": chat.csrf, "text": "a" * 5000})
    assert response.status == 413 and "parts of up to" in await response.text()


async def test_mydata_downloads_and_deleteme_erases_the_history(
    web_app: App, chat: WebClient
) -> None:
    await chat.send("/start")
    response = await chat.client.post("/mydata", data={"csrf": chat.csrf})
    assert response.status == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    exported = await response.json(content_type=None)
    assert exported["conversation"] is not None
    assert any(m["from"] == "you" and m["text"] == "/start" for m in exported["web_chat_history"])
    confirm = await chat.send("/deleteme")
    erase = next(
        b["data"] for m in confirm for r in m["buttons"] for b in r if "erase:" in b["data"]
    )
    erased = await chat.press(erase)
    assert erased and all(m["id"] == 0 for m in erased)
    assert await count(web_app, WebMessage) == 0


async def test_idle_retention_purges_the_history(web_app: App, chat: WebClient) -> None:
    await chat.send("/start")
    later = web_app.services.clock() + timedelta(days=web_app.settings.state_idle_days + 1)
    await purge_expired(web_app.database, web_app.settings, later)
    assert await count(web_app, WebMessage) == 0


async def test_pages_are_small(chat: WebClient) -> None:
    total = len((await chat.open()).encode())
    for path in ("/static/chat.css", "/static/chat.js"):
        response = await chat.client.get(path)
        assert response.status == 200
        total += len(await response.read())
    assert total < 100_000
    statement = await chat.client.get("/accessibility")
    assert "Accessibility statement" in await statement.text()


async def test_the_benchmark_measures_both(settings: Settings) -> None:
    from sendbot.bench.web import format_table, run

    result = await run(settings, rounds=3)
    assert 0 < result["page_bytes"] < 100_000
    assert result["first_answer_p50_ms"] > 0 and result["static_p50_ms"] > 0
    assert "first answer" in format_table(result)


async def test_a_conversation_and_its_history_on_either_database(
    settings: Settings, database_url: str
) -> None:
    changed = web_settings(settings, database_url=database_url, web_history_kept=10)
    async with open_app(changed) as app, web_client(app) as client:
        for _ in range(6):  # at least two messages each
            await client.send("How long does an EHC plan take?")
        kept = await client.history()
        assert len(kept) == 10  # only the newest are kept
        assert kept == sorted(kept, key=lambda m: m["id"])
        assert kept[-1]["who"] == "bot" and await count(app, WebMessage) == 10


async def test_the_address_behind_a_trusted_proxy(settings: Settings) -> None:
    from aiohttp.test_utils import make_mocked_request
    from limits.aio.storage import MemoryStorage

    from sendbot.adapters.web.ratelimit import RateLimits

    request = make_mocked_request("POST", "/", headers={"X-Forwarded-For": "1.2.3.4, 5.6.7.8"})
    trusting = RateLimits(web_settings(settings, web_trust_proxy=True), MemoryStorage())
    assert trusting.address(request) == "5.6.7.8"
    assert RateLimits(web_settings(settings), MemoryStorage()).address(request) != "5.6.7.8"
