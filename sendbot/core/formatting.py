"""Text helpers shared by every adapter: escaping, Markdown-lite to HTML, splitting, plain text."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

TELEGRAM_LIMIT = 4096

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])_(.+?)_(?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\((https://[^)\s]+)\)")
_BOLD_TAGS = re.compile(r"(</?b>)")
_PLACEHOLDER = "\x00"
_TAG = re.compile(r"<[^>]+>")
_BOLD_OPEN = re.compile(r"<(?:b|strong)>")
_BOLD_CLOSE = re.compile(r"</(?:b|strong)>")
_ANCHOR = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([\w-]+)")
_BLANK = " \n"  # the white space a break may drop
_EMPTY_ELEMENT = re.compile(r"<([\w-]+)(?:\s[^>]*)?></\1>")


def escape(text: str) -> str:
    """Escape text for the Telegram HTML subset."""
    return html.escape(text, quote=True)


def markdown_to_html(markdown: str) -> str:
    """Turn the knowledge base's Markdown-lite into Telegram HTML, escaping everything else."""
    lines: list[str] = []
    for raw in markdown.replace(_PLACEHOLDER, "").strip().splitlines():
        line = raw.rstrip()
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        bullet = re.match(r"^(\s*)[-*]\s+(.*)$", line)
        numbered = re.match(r"^(\s*)(\d+)[.)]\s+(.*)$", line)
        if heading:
            title = _BOLD.sub(r"\1", heading.group(1))  # a heading is bold already
            lines.append(f"<b>{_inline(title)}</b>")
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
    """Escape a line and apply links, bold and italic, never letting two of them cross."""
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        links.append(f'<a href="{escape(match.group(2))}">{escape(match.group(1))}</a>')
        return f"{_PLACEHOLDER}{len(links) - 1}{_PLACEHOLDER}"

    text = escape(_LINK.sub(keep_link, text))
    text = _BOLD.sub(r"<b>\1</b>", text)
    pieces = _BOLD_TAGS.split(text)  # italic is applied inside and outside bold, not across
    text = "".join(p if _BOLD_TAGS.fullmatch(p) else _ITALIC.sub(r"<i>\1</i>", p) for p in pieces)
    return re.sub(f"{_PLACEHOLDER}(\\d+){_PLACEHOLDER}", lambda m: links[int(m.group(1))], text)


def html_to_plain(text: str, bold: tuple[str, str] = ("", "")) -> str:
    """Render Telegram HTML as plain terminal text (links shown with their address).

    `bold` is put around bold text, such as a terminal's escape codes; nothing by default.
    """
    text = _ANCHOR.sub(_plain_link, text)
    text = _BOLD_OPEN.sub(lambda _: bold[0], text)
    text = _BOLD_CLOSE.sub(lambda _: bold[1], text)
    return html.unescape(_TAG.sub("", text))


def _plain_link(match: re.Match[str]) -> str:
    """A link as 'label (address)'."""
    return f"{match.group(2)} ({html.unescape(match.group(1))})"


def visible_length(text: str) -> int:
    """Length Telegram counts: the text after entity parsing."""
    return len(html.unescape(_TAG.sub("", text)))


def units(text: str) -> int:
    """Length in UTF-16 code units, the way Telegram counts (an emoji may count as two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass(frozen=True)
class _Token:
    """One indivisible piece of HTML: a tag, an entity or one character."""

    text: str
    opens: str | None = None  # tag name this token opens
    closes: str | None = None  # tag name this token closes

    @property
    def visible(self) -> bool:
        """Whether the token shows something other than white space."""
        return self.opens is None and self.closes is None and self.text not in _BLANK


def _tokens(text: str) -> list[_Token]:
    """HTML as tokens, noting which tags open and close."""
    result: list[_Token] = []
    for match in _TOKEN.finditer(text):
        piece = match.group(0)
        name = _TAG_NAME.match(piece) if piece.startswith("<") else None
        if name is None:
            result.append(_Token(piece))
        elif piece.startswith("</"):
            result.append(_Token(piece, closes=name.group(1).lower()))
        else:
            result.append(_Token(piece, opens=name.group(1).lower()))
    return result


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split HTML into parts within the limit, at paragraph, then line, then word breaks.

    Tags open at a break are closed at the end of one part and opened again at the start
    of the next, so every part is valid HTML on its own. Lengths are counted in UTF-16 code
    units of the HTML itself, never less than what Telegram counts.
    """
    if units(text) <= limit:
        return [text]
    tokens = _tokens(text)
    parts: list[str] = []
    start, stack = 0, list[_Token]()
    while start < len(tokens):
        cut, stack_at_cut = _cut(tokens, start, stack, limit)
        part = _part(tokens, start, cut, stack, stack_at_cut)
        if any(t.visible for t in tokens[start:cut]):
            parts.append(part)
        start, stack = cut, stack_at_cut
        while start < len(tokens) and tokens[start].text in _BLANK:
            start += 1
    return parts


def _part(
    tokens: list[_Token], start: int, cut: int, stack: list[_Token], stack_at_cut: list[_Token]
) -> str:
    """The HTML of tokens[start:cut], with open tags reopened before and closed after."""
    body = "".join(t.text for t in tokens[start:cut]).rstrip(_BLANK)
    reopen = "".join(t.text for t in stack)
    close = "".join(f"</{t.opens}>" for t in reversed(stack_at_cut))
    part, emptied = reopen + body + close, 1
    while emptied:  # a tag reopened and closed at once, or opened just before the cut
        part, emptied = _EMPTY_ELEMENT.subn("", part)
    return part


def _cut(
    tokens: list[_Token], start: int, stack: list[_Token], limit: int
) -> tuple[int, list[_Token]]:
    """Where the part starting at `start` ends, and the tags still open there."""
    size = sum(units(t.text) for t in stack)
    open_tags = list(stack)
    best: dict[str, tuple[int, list[_Token]]] = {}
    index = start
    while index < len(tokens):
        token = tokens[index]
        closing = sum(units(f"</{t.opens}>") for t in open_tags)
        if size + closing > limit and index > start:
            break
        in_link = "-link" if any(t.opens == "a" for t in open_tags) else ""
        if token.text == "\n" and index + 1 < len(tokens) and tokens[index + 1].text == "\n":
            best["paragraph"] = (index, list(open_tags))
        elif token.text == "\n":
            best["line"] = (index, list(open_tags))
        elif token.text == " ":
            best["word" + in_link] = (index, list(open_tags))
        if not (token.closes or token.text in _BLANK):
            best["any" + in_link] = (index, list(open_tags))
        size += units(token.text)
        if token.opens:
            open_tags.append(token)
        elif token.closes and open_tags and open_tags[-1].opens == token.closes:
            open_tags.pop()
        index += 1
    if index == len(tokens) and size + sum(units(f"</{t.opens}>") for t in open_tags) <= limit:
        return index, open_tags
    for kind in ("paragraph", "line", "word", "any", "word-link", "any-link"):
        if kind in best and best[kind][0] > start:
            return best[kind]
    return index, open_tags


def button_label(text: str, limit: int = 60) -> str:
    """A button label of at most `limit` characters, cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "…"
