"""Text helpers shared by every adapter: escaping, Markdown-lite to HTML, splitting, plain text."""

from __future__ import annotations

import html
import re

TELEGRAM_LIMIT = 4096

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])_(.+?)_(?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\((https://[^)\s]+)\)")
_TAG = re.compile(r"<[^>]+>")
_ANCHOR = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)


def escape(text: str) -> str:
    """Escape text for the Telegram HTML subset."""
    return html.escape(text, quote=True)


def markdown_to_html(markdown: str) -> str:
    """Turn the knowledge base's Markdown-lite into Telegram HTML, escaping everything else."""
    lines: list[str] = []
    for raw in markdown.strip().splitlines():
        line = raw.rstrip()
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        bullet = re.match(r"^(\s*)[-*]\s+(.*)$", line)
        numbered = re.match(r"^(\s*)(\d+)[.)]\s+(.*)$", line)
        if heading:
            lines.append(f"<b>{_inline(heading.group(1))}</b>")
        elif bullet:
            indent = "  " if bullet.group(1) else ""
            lines.append(f"{indent}• {_inline(bullet.group(2))}")
        elif numbered:
            lines.append(f"{numbered.group(2)}. {_inline(numbered.group(3))}")
        else:
            lines.append(_inline(line))
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text)


def _inline(text: str) -> str:
    """Escape a line and apply bold, italic and links."""
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        links.append(f'<a href="{escape(match.group(2))}">{escape(match.group(1))}</a>')
        return f"\x00{len(links) - 1}\x00"

    text = _LINK.sub(keep_link, text)
    text = escape(text)
    text = _BOLD.sub(r"<b>\1</b>", text)
    text = _ITALIC.sub(r"<i>\1</i>", text)
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], text)


def html_to_plain(text: str) -> str:
    """Render Telegram HTML as plain terminal text (links shown with their address)."""
    text = _ANCHOR.sub(lambda m: f"{m.group(2)} ({html.unescape(m.group(1))})", text)
    return html.unescape(_TAG.sub("", text))


def visible_length(text: str) -> int:
    """Length Telegram counts: the text after entity parsing."""
    return len(html.unescape(_TAG.sub("", text)))


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split HTML into parts under the limit at paragraph, then line, then word breaks."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        joiner = "\n\n" if current else ""
        if len(current) + len(joiner) + len(piece) <= limit:
            current += joiner + piece
        else:
            if current:
                parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts


def _pieces(text: str, limit: int) -> list[str]:
    """Paragraphs no longer than the limit, breaking long ones at lines, then words."""
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        if len(paragraph) <= limit:
            pieces.append(paragraph)
            continue
        for line in paragraph.split("\n"):
            if len(line) <= limit:
                pieces.append(line)
                continue
            plain = escape(html_to_plain(line))
            chunk = ""
            for word in plain.split(" "):
                while len(word) > limit:
                    if chunk:
                        pieces.append(chunk)
                        chunk = ""
                    pieces.append(word[:limit])
                    word = word[limit:]
                candidate = f"{chunk} {word}" if chunk else word
                if len(candidate) > limit:
                    pieces.append(chunk)
                    chunk = word
                else:
                    chunk = candidate
            if chunk:
                pieces.append(chunk)
    return pieces


def button_label(text: str, limit: int = 60) -> str:
    """A button label of at most `limit` characters, cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "…"
