"""The web chat in a real browser (the system's Chromium, headless) with axe-core's scan.

Skipped, with the reason, where Chromium, Playwright or axe-core is missing; `.ci/run`
installs all three.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sendbot.core.escalation.officers import issue_invite
from sendbot.core.messages import Inbound, InboundKind
from tests.casefiles import code_for, seed
from tests.webbrowser import (
    TIMEOUT_MS,
    Servers,
    axe_violations,
    browser_settings,
    chromium,
    missing_tools,
    serving,
)

REASON = missing_tools()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
GROUP = -1001234
CASE = {"case_ref": "WB0001", "child_first_name": "Maisie", "child_dob": "2015-05-03",
        "request_date": "2026-06-01", "stage": "assessing"}  # fmt: skip


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    settings = browser_settings(tmp_path_factory.mktemp("webbrowser"), officers_chat_id=GROUP)
    with serving(settings, lambda running: {"web_allowed_origins": running.page_origin}) as up:
        yield up


@pytest.fixture(scope="module")
def browser(servers: Servers) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, servers: Servers) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    opened.goto(servers.chat_origin + "/chat")
    opened.locator("#log .msg-bot").first.wait_for()
    yield opened
    context.close()


def ask(page: Any, text: str) -> None:
    """Type a message and press Send."""
    page.get_by_label("Your message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def bot_messages(page: Any) -> list[str]:
    return [str(t) for t in page.locator("#log .msg-bot .body").all_inner_texts()]


def wait_for_text(page: Any, text: str) -> None:
    page.locator("#log .msg-bot", has_text=text).last.wait_for()


def test_welcome_then_a_question_is_answered(page: Any) -> None:
    assert page.locator('[role="log"]').count() == 1
    ask(page, "How long does an EHC plan take?")
    page.locator("#log .msg-you", has_text="How long does an EHC plan take?").wait_for()
    wait_for_text(page, "How long an EHC plan should take")
    # Coming back: the same conversation.
    page.reload()
    page.locator("#log .msg-you", has_text="How long does an EHC plan take?").wait_for()


def test_a_button_press_shows_the_menu(page: Any) -> None:
    page.locator("#log form.press button").first.wait_for()
    before = page.locator("#log .msg").count()
    ask(page, "/menu")
    page.locator("#log .msg-bot form.press button").last.click()
    page.locator("#log .msg").nth(before + 2).wait_for()


def test_keyboard_only(page: Any) -> None:
    page.keyboard.press("Tab")  # the skip link
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.get_by_label("Your message").focus()
    page.keyboard.type("How long does an EHC plan take?")
    page.keyboard.press("Enter")
    wait_for_text(page, "How long an EHC plan should take")
    assert page.evaluate("document.activeElement.id") == "message"
    page.keyboard.press("Shift+Tab")
    for _ in range(60):
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    count = page.locator("#log .msg").count()
    page.keyboard.press("Enter")
    page.locator("#log .msg").nth(count).wait_for()


def test_link_a_case(page: Any, servers: Servers) -> None:
    app = servers.app
    assert app is not None
    now = app.services.clock()
    servers.call(seed(app, [CASE], Path(servers.settings.key_file).parent / "cases.csv", now))
    code = servers.call(code_for(app, "WB0001", now))
    ask(page, f"/mycase {code}")
    wait_for_text(page, "date of birth")
    ask(page, "03/05/2015")
    page.locator("#log .msg-bot", has_text="Maisie").last.wait_for()


def test_escalate_and_receive_an_officers_reply(page: Any, servers: Servers) -> None:
    app = servers.app
    assert app is not None
    ask(page, "/contact")
    before = page.locator("#log .msg").count()
    page.locator('#log button[value="k:k:question"]').last.click()
    page.locator("#log .msg").nth(before).wait_for()
    ask(page, "Who decides on my EHCP?")
    page.locator('#log button[value^="k:s:"]').last.click()
    page.locator("#log .msg-bot", has_text=re.compile(r"T-[A-Z0-9]+")).last.wait_for()
    found = re.search(r"T-[A-Z0-9]+", page.locator("#log").inner_text())
    assert found
    reference = found.group(0)

    async def officer_replies() -> None:
        async with app.database.unit_of_work() as uow:
            code, _ = await issue_invite(
                uow, app.services.keyring, "officer", app.services.clock(), 7
            )
        handle = app.dialogue.handle
        await handle(Inbound("telegram", "701", InboundKind.COMMAND, f"/officer {code}"))
        await handle(Inbound("telegram", str(GROUP), InboundKind.BUTTON, f"o:c:{reference}",
                             private=False, user_id="701"))  # fmt: skip
        await handle(
            Inbound(
                "telegram", "701", InboundKind.COMMAND, f"/reply {reference} The panel decides."
            )
        )

    servers.call(officer_replies())
    # Delivered by the web process's outbox job into the history, pushed live.
    page.locator("#log .msg-bot", has_text="The panel decides.").wait_for(timeout=20_000)


def test_widget_on_another_origin(browser: Any, servers: Servers) -> None:
    context = browser.new_context(bypass_csp=True)
    council = context.new_page()
    council.set_default_timeout(TIMEOUT_MS)
    council.goto(servers.page_origin + "/")
    council.get_by_role("button", name="Chat with us about SEND").click()
    opener = council.locator('button[aria-controls="sendbot-chat-panel"]')
    assert opener.get_attribute("aria-expanded") == "true"
    frame = council.frame_locator('iframe[title="SEND chat"]')
    frame.locator("#log .msg-bot").first.wait_for()
    frame.get_by_label("Your message").fill("How long does an EHC plan take?")
    frame.get_by_role("button", name="Send", exact=True).click()
    frame.locator("#log .msg-bot", has_text="How long an EHC plan should take").last.wait_for()
    council.keyboard.press("Escape")  # in the frame: the panel closes, focus returns
    council.locator('button[aria-controls="sendbot-chat-panel"][aria-expanded="false"]').wait_for()
    assert council.evaluate("document.activeElement.getAttribute('aria-controls')") == (
        "sendbot-chat-panel"
    )
    assert axe_violations(council) == []
    context.close()


@pytest.mark.parametrize("path", ["/chat", "/chat?embed=1", "/accessibility"])
def test_no_serious_accessibility_violations(browser: Any, servers: Servers, path: str) -> None:
    context = browser.new_context(bypass_csp=True)
    opened = context.new_page()
    opened.goto(servers.chat_origin + path)
    if path.startswith("/chat"):
        opened.locator("#log .msg-bot").first.wait_for()
    assert axe_violations(opened) == []
    context.close()


def test_narrow_and_zoomed_without_sideways_scrolling(browser: Any, servers: Servers) -> None:
    # 320 CSS pixels wide: what a 1280 px window shows at 400% zoom.
    context = browser.new_context(viewport={"width": 320, "height": 640})
    opened = context.new_page()
    opened.goto(servers.chat_origin + "/chat")
    opened.locator("#log .msg-bot").first.wait_for()
    assert opened.evaluate("document.documentElement.scrollWidth") <= 320
    size = opened.locator("#send").bounding_box()
    assert size is not None and size["height"] >= 44 and size["width"] >= 44
    context.close()
