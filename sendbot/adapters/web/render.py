"""The core's messages (Telegram's HTML subset) as safe HTML for the page, and as entries.

Every message is parsed and written out again: only the subset's tags survive, without
attributes except a link's address (https, http, mailto or tel), and all text is escaped,
so nothing the core or a parent wrote can add markup or script to the page.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from typing import Any

from sendbot.core.messages import Outbound

ALLOWED = {
    "b": "strong", "strong": "strong", "i": "em", "em": "em", "u": "u", "ins": "u",
    "s": "s", "strike": "s", "del": "s", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-spoiler": "span",
}  # fmt: skip
SCHEMES = ("https://", "http://", "mailto:", "tel:")

Entry = dict[str, Any]


class _Cleaner(HTMLParser):
    """Rewrites HTML keeping only the allowed tags (each closed, in order)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[tuple[str, str]] = []  # (tag as written, tag emitted or "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href") or ""
            emitted = "a" if href.lower().startswith(SCHEMES) else ""
            if emitted:
                self.out.append(
                    f'<a href="{escape(href)}" rel="noopener noreferrer" target="_blank">'
                )
            self.open.append((tag, emitted))
            return
        name = ALLOWED.get(tag)
        if name is not None:
            self.out.append(f"<{name}>")
            self.open.append((tag, name))

    def handle_endtag(self, tag: str) -> None:
        if not any(written == tag for written, _ in self.open):
            return
        while self.open:
            written, emitted = self.open.pop()
            if emitted:
                self.out.append(f"</{emitted}>")
            if written == tag:
                break

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))

    def result(self) -> str:
        """The cleaned HTML, every open tag closed."""
        self.close()
        while self.open:
            _, emitted = self.open.pop()
            if emitted:
                self.out.append(f"</{emitted}>")
        return "".join(self.out)


def safe_html(html: str) -> str:
    """A message's HTML with only the allowed tags, all text escaped."""
    cleaner = _Cleaner()
    cleaner.feed(html)
    return cleaner.result()


def bot_entry(message: Outbound) -> Entry:
    """A bot message as the page shows it (the core's HTML, cleaned when shown)."""
    rows = [
        [{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in message.buttons
    ]
    file = message.meta.get("file")  # a letter's file, made again when downloaded
    entry: Entry = {
        "who": "bot",
        "html": message.html,
        "buttons": [row for row in rows if row],
        "download": message.document[0] if message.document and not file else None,
    }
    if file:
        entry["file"] = file
    if message.meta.get("ephemeral"):
        entry["ephemeral"] = True
    return entry


def parent_entry(text: str) -> Entry:
    """A parent's own message, escaped."""
    return {"who": "you", "html": escape(text, quote=False), "buttons": [], "download": None}


def public(entry: Entry, entry_id: int) -> Entry:
    """An entry as the API sends it: its id, safe HTML and buttons."""
    shown: Entry = {
        "id": entry_id,
        "who": entry["who"],
        "html": safe_html(entry["html"]),
        "buttons": entry["buttons"],
        "download": bool(entry.get("download")),
    }
    if entry.get("file"):
        shown["file"] = entry["file"]
    return shown
