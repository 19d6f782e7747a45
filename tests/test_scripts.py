"""Conversation scripts (tests/scripts/*.yaml) run through the terminal, Telegram, web chat
and WhatsApp.

The adapters must produce the same replies (text and buttons; the web chat's HTML as it
cleans it for the page; WhatsApp's messages exactly as the terminal's replies render in
WhatsApp's marks and limits, every choice carrying the same data), and each script's own
expectations must hold. The web chat has no way to send a photo or a voice note, so it
skips media steps. A step is one of:
  send: TEXT (repeat: N sends TEXT repeated N times) | press: LABEL | press_data: DATA |
  media: photo|voice|sticker|document
and may expect:
  expect: [message keys]     each key's sentence (its literal parts, around placeholders)
                             appears in one reply
  expect_contains: [text]    each text appears in a reply (HTML as sent)
  expect_entry: ID           the entry's title opens a reply, in bold
  expect_buttons: [LABEL]    each label is among the replies' buttons
  expect_replies: N          exactly N replies
A LABEL is literal text, "@key" for a sentence in messages.yaml, or "#id" for an entry's
title (buttons may carry a prefix such as an arrow). Presses use the newest step's buttons.
"""

from __future__ import annotations

import dataclasses
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from sendbot.adapters.terminal import TerminalChat
from sendbot.adapters.web.render import safe_html
from sendbot.adapters.whatsapp.render import render, whatsapp_text
from sendbot.app import App
from sendbot.config import Settings
from sendbot.core.formatting import escape
from sendbot.core.messages import Audience, Button, Inbound, InboundKind, Outbound
from tests.fakes.cloud_api import Sent
from tests.fakes.harness import PARENT_CHAT_ID, TelegramChat, telegram_bot
from tests.fakes.whatsapp import whatsapp_bot
from tests.webclient import web_client

SCRIPTS = sorted((Path(__file__).resolve().parent / "scripts").glob("*.yaml"))
STEP_KINDS = ("send", "press", "press_data", "media")
EXPECTATIONS = ("expect", "expect_contains", "expect_entry", "expect_buttons", "expect_replies")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")

# One reply as both adapters can show it: its HTML and its rows of (label, data or URL).
Reply = tuple[str, tuple[tuple[tuple[str, str], ...], ...]]


@dataclass
class Step:
    """One thing the person does, and what should follow."""

    kind: str
    value: str
    checks: dict[str, Any] = field(default_factory=dict)


def load_script(path: Path) -> tuple[str, list[Step]]:
    """Read a script file: a title and its steps."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = []
    for raw in data["steps"]:
        kinds = [k for k in STEP_KINDS if k in raw]
        assert len(kinds) == 1, f"{path.name}: a step needs exactly one of {STEP_KINDS}"
        unknown = set(raw) - {*STEP_KINDS, *EXPECTATIONS, "repeat"}
        assert not unknown, f"{path.name}: unknown keys {unknown}"
        value = str(raw[kinds[0]])
        if "repeat" in raw:
            value = value * int(raw["repeat"])
        steps.append(Step(kinds[0], value, {k: raw[k] for k in EXPECTATIONS if k in raw}))
    return str(data["title"]), steps


class Labels:
    """Resolves @key and #entry labels against the running app."""

    def __init__(self, app: App) -> None:
        self.app = app

    def resolve(self, label: str) -> str:
        """The text a label reference stands for."""
        if label.startswith("@"):
            return self.app.services.texts.get(label[1:])
        if label.startswith("#"):
            entry = self.app.services.kb.get(label[1:])
            assert entry is not None, f"no entry {label[1:]}"
            return entry.title
        return label

    def matches(self, shown: str, label: str) -> bool:
        """Whether a shown button label is the one a script names."""
        wanted = self.resolve(label)
        return shown == wanted or (label.startswith("#") and wanted[:50] in shown)


def find_button(replies: list[Reply], label: str, labels: Labels) -> tuple[int, str]:
    """The position (counting every button in order) and data of a named button."""
    position = 0
    for _html, rows in replies:
        for row in rows:
            for shown, data in row:
                position += 1
                if labels.matches(shown, label):
                    return position, data
    raise AssertionError(f"no button {label!r} among {[r[1] for r in replies]}")


async def run_terminal(app: App, steps: list[Step], labels: Labels) -> list[list[Reply]]:
    """Run the steps through the terminal adapter."""
    chat = TerminalChat(app.dialogue, out=io.StringIO())
    results: list[list[Reply]] = []
    last: list[Reply] = []
    for step in steps:
        if step.kind == "send":
            outbound = await chat.send(step.value)
        elif step.kind == "press":
            position, _ = find_button(last, step.value, labels)
            outbound = await chat.send(str(position))
        else:
            kind = InboundKind.BUTTON if step.kind == "press_data" else InboundKind.UNSUPPORTED
            text = step.value if step.kind == "press_data" else ""
            outbound = await app.dialogue.handle(Inbound("terminal", chat.chat_id, kind, text))
            chat.show(outbound)
        last = [
            (o.html, tuple(tuple((b.label, b.url or b.data) for b in row) for row in o.buttons))
            for o in outbound
            if o.audience is Audience.SENDER and o.chat_id is None
        ]
        results.append(last)
    return results


async def run_telegram(
    settings: Settings, app: App, steps: list[Step], labels: Labels
) -> list[list[Reply]]:
    """Run the steps through the Telegram adapter (the real Application, a fake Bot API)."""
    results: list[list[Reply]] = []
    async with telegram_bot(settings, app) as (api, application):
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        last: list[Reply] = []
        for step in steps:
            if step.kind == "send":
                calls = await chat.send(step.value)
            elif step.kind == "press":
                _, data = find_button(last, step.value, labels)
                calls = await chat.press_data(data)
            elif step.kind == "press_data":
                calls = await chat.press_data(step.value)
            else:
                calls = await chat.media(step.value)
            last = [
                (
                    c.text,
                    tuple(
                        tuple((b["text"], b.get("callback_data") or b.get("url", "")) for b in row)
                        for row in c.keyboard
                    ),
                )
                for c in calls
            ]
            results.append(last)
        assert all(c.params.get("parse_mode") == "HTML" for c in api.sent(PARENT_CHAT_ID))
    return results


async def run_web(app: App, steps: list[Step], labels: Labels) -> list[list[Reply] | None]:
    """Run the steps through the web chat's HTTP API (None for a media step it cannot send)."""
    plain_http = dataclasses.replace(
        app, settings=app.settings.model_copy(update={"web_cookie_secure": False})
    )
    results: list[list[Reply] | None] = []
    async with web_client(plain_http) as chat:
        last: list[Reply] = []
        for step in steps:
            if step.kind == "media":
                results.append(None)
                continue
            if step.kind == "send":
                answer = await chat.post("/chat/send", {"text": step.value}, status=None)
                if "error" in answer:  # refused before the core, shown as the page's status
                    last = [(answer["error"], ())]
                    results.append(last)
                    continue
                messages = answer["messages"]
            else:
                data = step.value
                if step.kind == "press":
                    data = find_button(last, step.value, labels)[1]
                messages = await chat.press(data)
            last = [
                (
                    m["html"],
                    tuple(
                        tuple((b["label"], b["url"] or b["data"]) for b in row)
                        for row in m["buttons"]
                    ),
                )
                for m in messages
                if m["who"] == "bot"
            ]
            results.append(last)
    return results


async def run_whatsapp(app: App, steps: list[Step], labels: Labels) -> list[list[Sent]]:
    """Run the steps through the WhatsApp webhook, against the fake Cloud API."""
    results: list[list[Sent]] = []
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        last: list[Reply] = []
        for step in steps:
            if step.kind == "send":
                sent = await phone.send(step.value)
            elif step.kind == "media":
                sent = await phone.media(step.value)
            else:
                data = step.value
                if step.kind == "press":
                    data = find_button(last, step.value, labels)[1]
                sent = await phone.press(data, list_row=True)
            last = [(s.text, (tuple(s.choices),)) for s in sent]
            results.append(sent)
    return results


def as_whatsapp_shows(app: App, replies: list[Reply]) -> list[dict[str, Any]]:
    """Replies as the WhatsApp adapter must send them: WhatsApp's marks, within its limits."""
    payloads = []
    for html, rows in replies:
        buttons = tuple(
            tuple(
                Button(label, url=value) if value.startswith("https://") else Button(label, value)
                for label, value in row
            )
            for row in rows
        )
        payloads += render(Outbound(html=html, buttons=buttons), app.services.texts.get)
    return payloads


def check_same_meaning(replies: list[Reply], sent: list[Sent], where: str) -> None:
    """The same words and the same choices, whatever WhatsApp's limits made of the layout."""
    words = "\n\n".join(whatsapp_text(html) for html, _ in replies)
    for message in sent:
        if message.text not in words:
            assert message.type == "interactive", f"{where}: {message.text!r} not said elsewhere"
    data = [value for _, rows in replies for row in rows for _, value in row]
    assert [value for message in sent for _, value in message.choices] == [
        d for d in data if not d.startswith("https://")
    ] or [value for message in sent for _, value in message.choices] == data, where


def as_web_shows(replies: list[Reply]) -> list[Reply]:
    """Replies with their HTML as the web chat cleans it for the page."""
    return [(safe_html(html), rows) for html, rows in replies]


def check_step(step: Step, replies: list[Reply], labels: Labels, where: str) -> None:
    """Check one step's own expectations."""
    texts = [html for html, _ in replies]
    shown = [label for _, rows in replies for row in rows for label, _ in row]
    checks = step.checks
    assert replies, f"{where}: no reply"
    for key in checks.get("expect", []):
        template = labels.app.services.texts.raw(key)
        fragments = [f for f in _PLACEHOLDER.split(template) if f.strip()]
        assert any(all(f in html for f in fragments) for html in texts), (
            f"{where}: no reply says {key!r}"
        )
    for text in checks.get("expect_contains", []):
        assert any(text in html for html in texts), f"{where}: no reply contains {text!r}"
    if "expect_entry" in checks:
        title = labels.resolve("#" + checks["expect_entry"])
        assert any(html.startswith(f"<b>{escape(title)}</b>") for html in texts), (
            f"{where}: entry {checks['expect_entry']} not shown"
        )
    for label in checks.get("expect_buttons", []):
        assert any(labels.matches(s, label) for s in shown), (
            f"{where}: no button {label!r} in {shown}"
        )
    if "expect_replies" in checks:
        assert len(replies) == checks["expect_replies"], f"{where}: {len(replies)} replies"


def test_there_are_enough_scripts() -> None:
    assert len(SCRIPTS) >= 20


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
async def test_script(path: Path, settings: Settings, app: App) -> None:
    title, steps = load_script(path)
    labels = Labels(app)
    terminal = await run_terminal(app, steps, labels)
    telegram = await run_telegram(settings, app, steps, labels)
    web = await run_web(app, steps, labels)
    whatsapp = await run_whatsapp(app, steps, labels)
    for number, (step, by_terminal, by_telegram, by_web, by_whatsapp) in enumerate(
        zip(steps, terminal, telegram, web, whatsapp, strict=True), start=1
    ):
        where = f"{path.name} ({title}), step {number} ({step.kind}: {step.value[:40]!r})"
        assert by_terminal == by_telegram, f"{where}: the adapters replied differently"
        if by_web is not None:
            assert by_web == as_web_shows(by_terminal), f"{where}: the web chat replied differently"
        shown = [s.payload for s in by_whatsapp]
        for payload in shown:
            payload.pop("messaging_product"), payload.pop("recipient_type"), payload.pop("to")
        assert shown == as_whatsapp_shows(app, by_terminal), (
            f"{where}: WhatsApp replied differently"
        )
        check_same_meaning(by_terminal, by_whatsapp, where)
        check_step(step, by_telegram, labels, where)
