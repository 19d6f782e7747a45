"""Outbound messages as Cloud API message payloads, within WhatsApp's limits.

The core writes Telegram's HTML subset; WhatsApp has no HTML but its own marks: *bold*,
_italic_, ~struck~, `code` and ```pre```, "> " for a quote. Links become "label (address)".
Text goes in parts of at most 4,096 characters. Buttons: up to three reply buttons whose
labels fit 20 characters, otherwise lists of up to ten rows (a row's title holds 24
characters, its description the full label up to 72); the text before a set of buttons
is the message's body when it fits 1,024 characters, else it goes first as text. One link
button alone becomes a call-to-action button; several go into the text.
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from sendbot.core.formatting import button_label, split_message, units
from sendbot.core.messages import Button, Outbound

TEXT_LIMIT = 4096
BODY_LIMIT = 1024
MAX_BUTTONS = 3
BUTTON_TITLE = 20
MAX_ROWS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
MARKS = {
    "b": "*", "strong": "*", "i": "_", "em": "_", "s": "~", "strike": "~", "del": "~",
    "code": "`", "pre": "```",
}  # fmt: skip
_SWAPS = (("<", "\x01"), ("&", "\x02"))  # so the HTML-aware splitter sees plain text

JSONDict = dict[str, Any]
Say = Callable[[str], str]  # a sentence from messages.yaml by key


class _Converter(HTMLParser):
    """Rewrites the HTML subset in WhatsApp's marks, unescaping everything else."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[tuple[str, int, str]] = []  # (tag, where its text starts, href)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in MARKS or tag in ("a", "blockquote"):
            href = (dict(attrs).get("href") or "") if tag == "a" else ""
            self.open.append((tag, len(self.out), href))

    def handle_endtag(self, tag: str) -> None:
        if not any(name == tag for name, _, _ in self.open):
            return
        while self.open:
            name, start, href = self.open.pop()
            self._close(name, start, href)
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def _close(self, tag: str, start: int, href: str) -> None:
        inner = "".join(self.out[start:])
        del self.out[start:]
        if tag == "a":
            self.out.append(_link(inner, href))
        elif tag == "blockquote":
            self.out.append("\n".join(f"> {line}" for line in inner.split("\n")))
        else:
            self.out.append(_marked(inner, MARKS[tag]))

    def result(self) -> str:
        """The text, every open tag closed."""
        self.close()
        while self.open:
            self._close(*self.open.pop())
        return "".join(self.out)


def _marked(text: str, mark: str) -> str:
    """Text between marks, line by line, the marks touching the words (as WhatsApp needs)."""
    lines = []
    for line in text.split("\n"):
        core = line.strip()
        if not core:
            lines.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip())]
        trail = line[len(line.rstrip()) :]
        lines.append(f"{lead}{mark}{core}{mark}{trail}")
    return "\n".join(lines)


def _link(label: str, href: str) -> str:
    """A link as its label and address (the address alone when they are the same)."""
    address = href.removeprefix("mailto:").removeprefix("tel:")
    if not href or label.strip() in (href, address):
        return label if not href else address
    return f"{label} ({address})"


def whatsapp_text(html: str) -> str:
    """The core's HTML as WhatsApp-formatted text."""
    converter = _Converter()
    converter.feed(html)
    return converter.result().strip()


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Plain text in parts within the limit, at paragraph, line, then word breaks."""
    if not text.strip():
        return []
    for plain, swapped in _SWAPS:
        text = text.replace(plain, swapped)
    parts = split_message(text, limit)
    for plain, swapped in _SWAPS:
        parts = [part.replace(swapped, plain) for part in parts]
    return parts


def fits_buttons(buttons: list[Button]) -> bool:
    """Whether reply buttons can carry these choices (few, with short labels)."""
    return len(buttons) <= MAX_BUTTONS and all(units(b.label) <= BUTTON_TITLE for b in buttons)


def render(message: Outbound, say: Say) -> list[JSONDict]:
    """The Cloud API payloads (without the recipient) that show one Outbound, in order."""
    text = whatsapp_text(message.html)
    choices = [b for b in message.flat_buttons if b.data and not b.url]
    links = [b for b in message.flat_buttons if b.url]
    cta = links[0] if len(links) == 1 and not choices else None
    if links and cta is None:
        lines = [say("whatsapp.links"), *(_link(b.label, b.url or "") for b in links)]
        text = f"{text}\n\n" + "\n".join(lines) if text else "\n".join(lines)
    parts = split_text(text)
    if not choices and cta is None:
        return [_text(part) for part in parts]
    body = say("whatsapp.choose")
    if parts and units(parts[-1]) <= BODY_LIMIT:
        body = parts.pop()
    payloads = [_text(part) for part in parts]
    if cta is not None:
        payloads.append(_call_to_action(body, cta))
        return payloads
    if fits_buttons(choices):
        payloads.append(_reply_buttons(body, choices))
        return payloads
    for index in range(0, len(choices), MAX_ROWS):
        group_body = body if index == 0 else say("whatsapp.more_choices")
        rows = choices[index : index + MAX_ROWS]
        payloads.append(_list(group_body, rows, say("whatsapp.list_button")))
    return payloads


def _text(body: str) -> JSONDict:
    """A text message."""
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def _reply_buttons(body: str, buttons: list[Button]) -> JSONDict:
    """An interactive message with up to three reply buttons."""
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": b.data, "title": b.label}} for b in buttons
                ]
            },
        },
    }


def row_of(button: Button) -> JSONDict:
    """A list row: a short title, and the whole label beneath when the title cut it."""
    row: JSONDict = {"id": button.data, "title": _cut(button.label, ROW_TITLE)}
    if row["title"] != button.label:
        row["description"] = _cut(button.label, ROW_DESCRIPTION)
    return row


def _cut(label: str, limit: int) -> str:
    """A label within `limit` characters (counted as WhatsApp may: UTF-16 units)."""
    size = limit
    cut = button_label(label, size)
    while units(cut) > limit and size > 1:
        size -= 1
        cut = button_label(label, size)
    return cut


def _list(body: str, buttons: list[Button], opener: str) -> JSONDict:
    """An interactive list message of up to ten rows."""
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {
                "button": _cut(opener, BUTTON_TITLE),
                "sections": [{"rows": [row_of(b) for b in buttons]}],
            },
        },
    }


def _call_to_action(body: str, button: Button) -> JSONDict:
    """An interactive message with one button opening a web address."""
    return {
        "type": "interactive",
        "interactive": {
            "type": "cta_url",
            "body": {"text": body},
            "action": {
                "name": "cta_url",
                "parameters": {"display_text": _cut(button.label, BUTTON_TITLE), "url": button.url},
            },
        },
    }


def template(name: str, language: str) -> JSONDict:
    """A template message without variables (a notice that something waits)."""
    return {"type": "template", "template": {"name": name, "language": {"code": language}}}


def document(media_id: str, filename: str) -> JSONDict:
    """A document message for an uploaded file."""
    return {"type": "document", "document": {"id": media_id, "filename": filename}}
