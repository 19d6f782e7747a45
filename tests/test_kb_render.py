"""Every bundled knowledge entry, shown as the bot shows it: on Telegram and in the terminal.

Each entry is pressed as a topic button through the real PTB Application against the fake
Bot API, for each council pack and for the national knowledge alone, then its "More
detail" and "Sources" buttons; every message sent must be valid Telegram HTML within the
length limit, split at paragraph breaks, with related-topic buttons that open existing
entries, and nothing of the entry may be lost between them. The terminal rendering must
show no markup. Hypothesis drives the Markdown -> HTML -> split pipeline on arbitrary text.
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sendbot.adapters.terminal import BOLD, TerminalChat, wrap
from sendbot.app import App, open_app
from sendbot.config import Settings, bundled_knowledge_dir
from sendbot.core.flows.browse import (
    RELATED_BUTTONS,
    detail_message,
    first_message,
    sources_message,
)
from sendbot.core.formatting import (
    TELEGRAM_LIMIT,
    button_label,
    html_to_plain,
    markdown_to_html,
    split_message,
    units,
)
from sendbot.core.messages import Inbound, InboundKind
from sendbot.kb.body import FIRST_MESSAGE_WORDS
from sendbot.kb.loader import Entry, KnowledgeBase, load_knowledge
from tests.fakes.bot_api import ApiError, Call, visible_text
from tests.fakes.harness import TelegramChat, telegram_bot

KNOWLEDGE = bundled_knowledge_dir()
COUNCILS = [*sorted(p.name for p in (KNOWLEDGE / "local").iterdir() if p.is_dir()), ""]
LABEL_LIMIT = 60
WORD = re.compile(r"\S*[A-Za-z0-9]\S*")  # a word as kb check counts them

# Telegram's HTML subset: tags and their attributes, entity rules, nesting rules.
ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set[str]() for tag in ("b", "strong", "i", "em", "u", "ins", "s", "strike", "del")},
    **{tag: set[str]() for tag in ("pre", "blockquote", "tg-spoiler")},
    "a": {"href"},
    "span": {"class"},
    "code": {"class"},
}
STYLES = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "span"}
TAG = re.compile(r'<(/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+="[^"<>]*")*)\s*>')
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
RAW_MARKUP = re.compile(
    r"</?(?:b|strong|i|em|u|ins|s|strike|del|a|code|pre|blockquote|tg-spoiler|span)\b[^>]*>"
    r"|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);"
)


def check_telegram_html(text: str) -> str:
    """Check text as Telegram parses HTML; return what the person sees, or fail."""
    stack: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "<":
            match = TAG.match(text, position)
            assert match, f"a raw '<' or a malformed tag at {position}: {text[position:][:40]!r}"
            closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
            if closing:
                assert stack and stack[-1] == name, f"</{name}> closes {stack}"
                stack.pop()
            else:
                _check_start_tag(name, dict(ATTRIBUTE.findall(attributes)), stack)
                stack.append(name)
            position = match.end()
            continue
        if char == "&":
            match = ENTITY.match(text, position)
            assert match, f"an unescaped '&' at {position}: {text[position:][:20]!r}"
            position = match.end()
            continue
        assert char != ">", f"an unescaped '>' at {position}"
        position += 1
    assert not stack, f"tags left open: {stack}"
    visible_text(text, "HTML")  # the fake Bot API's own check must accept it too
    return html.unescape(TAG.sub("", text))


def _check_start_tag(name: str, attributes: dict[str, str], stack: list[str]) -> None:
    """A start tag must be known, carry only its attributes and nest as Telegram allows."""
    assert name in ATTRIBUTES, f"<{name}> is not in Telegram's HTML subset"
    assert set(attributes) <= ATTRIBUTES[name], f"<{name}> has attributes {attributes}"
    if name == "a":
        assert attributes.get("href"), "a link without an address"
    if name == "span":
        assert attributes.get("class") == "tg-spoiler", "a span must be a spoiler"
    if stack and stack[-1] == "pre" and name == "code":
        return
    assert not {"pre", "code"} & set(stack), f"<{name}> inside {stack}"
    if name not in STYLES:
        assert not set(stack) - STYLES, f"<{name}> inside {stack}"


def squeeze(text: str) -> str:
    """Text without any white space, to compare content whatever the line breaks."""
    return "".join(text.split())


def paragraphs(message: str) -> list[str]:
    """An HTML message's paragraphs."""
    return [p.strip() for p in message.split("\n\n") if p.strip()]


def assert_split_at_paragraphs(whole: str, parts: list[str], limit: int) -> None:
    """Each part is whole paragraphs of the message, unless one paragraph is over the limit."""
    if any(units(p) > limit for p in paragraphs(whole)):
        return
    expected = paragraphs(whole)
    for part in parts:
        for paragraph in paragraphs(part):
            assert paragraph == expected.pop(0), f"a part ends mid-paragraph: {part[-60:]!r}"
    assert not expected


def knowledge_settings(tmp_path: Path, council: str) -> Settings:
    """Settings for the bundled knowledge, one council (or none), and a fresh SQLite file."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'render.db'}",
        knowledge_dir=KNOWLEDGE,
        council=council,
        secret_key="test-secret-key-not-for-production",  # type: ignore[arg-type]
        key_file=tmp_path / "key",
    )


@pytest.fixture(params=COUNCILS, ids=lambda council: council or "national")
async def council_app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[App]:
    """The bot on the bundled knowledge for one council pack, or for national entries only."""
    async with open_app(knowledge_settings(tmp_path, request.param)) as app:
        yield app


def test_there_is_a_national_fallback_and_at_least_two_council_packs() -> None:
    assert {"bristol", "fernshire", ""} <= set(COUNCILS)
    assert len(load_knowledge(KNOWLEDGE, None).entries) >= 49


def check_parts(entry: Entry, calls: list[Call]) -> list[str]:
    """Messages of one press: valid, in the limit, titled, buttons on the last only; their text."""
    assert calls and all(c.method == "sendMessage" for c in calls), [c.method for c in calls]
    assert all(c.params.get("parse_mode") == "HTML" for c in calls)
    shown = [check_telegram_html(c.text) for c in calls]
    for seen in shown:
        assert seen.strip(), f"{entry.id}: an empty message"
        assert units(seen) <= TELEGRAM_LIMIT, f"{entry.id}: {units(seen)} characters"
    assert shown[0].startswith(entry.title), f"{entry.id}: the title does not come first"
    assert all(not c.keyboard for c in calls[:-1]), f"{entry.id}: buttons before the last part"
    return shown


def pressed(call: Call, prefix: str) -> str | None:
    """The data of the message's button whose data starts with `prefix:`, if any."""
    datas = [b.get("callback_data", "") for row in call.keyboard for b in row]
    return next((d for d in datas if d.startswith(prefix + ":")), None)


async def check_entry_messages(entry: Entry, chat: TelegramChat) -> list[Call]:
    """Open an entry, then its detail and sources: valid, short first, nothing lost."""
    first = await chat.press_data(f"e:{entry.id}")
    assert len(first) == 1, f"{entry.id}: the answer came in {len(first)} messages"
    opening = check_parts(entry, first)[0]
    words = len(WORD.findall(opening)) - len(WORD.findall(entry.title))
    assert words <= FIRST_MESSAGE_WORDS + 5, f"{entry.id}: {words} words first"  # + the heading
    shown = [opening]
    more = pressed(first[0], "more")
    assert (more is not None) == bool(entry.parts.detail), f"{entry.id}: More detail button"
    if more is not None:
        detail = await chat.press_data(more)
        shown += check_parts(entry, detail)
        assert_split_at_paragraphs(detail_message(entry), [c.text for c in detail], TELEGRAM_LIMIT)
    sources = pressed(first[0], "src")
    assert sources is not None, f"{entry.id}: no Sources button"
    listed = await chat.press_data(sources)
    shown += check_parts(entry, listed)
    everything = squeeze("".join(shown))
    for line in check_telegram_html(markdown_to_html(entry.body)).splitlines():
        assert squeeze(line) in everything, f"{entry.id}: {line!r} is never shown"
    for source in entry.sources:
        assert source.title in shown[-1], f"{entry.id}: source {source.title!r} not listed"
        if source.url:
            assert source.url in listed[0].text, f"{entry.id}: {source.url}"
    return first


def related_buttons(entry: Entry, kb: KnowledgeBase, call: Call) -> list[str]:
    """The entry ids the last message's related-topic buttons open, checked against the kb."""
    missing = [r for r in entry.related if r not in kb.entries]
    assert not missing, f"{entry.id}: related ids not in force here: {missing}"
    opened: list[str] = []
    for row in call.keyboard:
        for button in row:
            assert len(button["text"]) <= LABEL_LIMIT, f"{entry.id}: {button['text']!r}"
            data = button.get("callback_data", "")
            if data.startswith("e:"):
                assert data[2:] in kb.entries, f"{entry.id}: a button opens {data}"
                opened.append(data[2:])
    assert opened == list(entry.related[:RELATED_BUTTONS]), f"{entry.id}: buttons open {opened}"
    return opened


async def test_every_entry_is_shown_well_on_telegram(council_app: App) -> None:
    kb = council_app.services.kb
    assert kb.entries
    async with telegram_bot(council_app.settings, council_app) as (api, application):
        chat = TelegramChat(api, application, chat_id=4242)
        for entry in kb.entries.values():
            calls = await check_entry_messages(entry, chat)
            opened = related_buttons(entry, kb, calls[-1])
            for related_id in opened[:1]:  # every entry is pressed itself; one follow-up each
                followed = await chat.press_data(f"e:{related_id}")
                assert followed, f"{entry.id} -> {related_id}: no reply"
                title = check_telegram_html(followed[0].text)
                assert title.startswith(kb.entries[related_id].title), related_id


async def test_every_section_lists_entries_that_open(council_app: App) -> None:
    kb = council_app.services.kb
    listed: set[str] = set()
    async with telegram_bot(council_app.settings, council_app) as (api, application):
        chat = TelegramChat(api, application, chat_id=4343)
        for section in kb.sections:
            calls = await chat.press_data(f"t:{section.key}")
            assert len(calls) == 1
            check_telegram_html(calls[0].text)
            for label in calls[0].labels:
                assert len(label) <= LABEL_LIMIT, label
            opens = [
                b["callback_data"][2:]
                for row in calls[0].keyboard
                for b in row
                if b.get("callback_data", "").startswith("e:")
            ]
            assert opens == [i for i in section.ids if i in kb.entries], section.key
            listed.update(opens)
    assert listed == set(kb.entries), f"entries no section lists: {set(kb.entries) - listed}"


async def test_every_entry_reads_cleanly_in_the_terminal(council_app: App) -> None:
    kb = council_app.services.kb
    out = io.StringIO()
    terminal = TerminalChat(council_app.dialogue, out=out, styled=False)
    for entry in kb.entries.values():
        out.seek(0)
        out.truncate()
        for data in (f"e:{entry.id}", f"more:{entry.id}:{entry.version}"):
            inbound = Inbound("terminal", terminal.chat_id, InboundKind.BUTTON, data)
            terminal.show(await council_app.dialogue.handle(inbound))
        related = out.getvalue()
        inbound = Inbound(
            "terminal", terminal.chat_id, InboundKind.BUTTON, f"src:{entry.id}:{entry.version}"
        )
        terminal.show(await council_app.dialogue.handle(inbound))
        text = out.getvalue()
        assert not RAW_MARKUP.search(text), f"{entry.id}: {RAW_MARKUP.search(text)}"
        assert text.startswith(entry.title + "\n"), entry.id
        for source in entry.sources:
            assert source.title in text, f"{entry.id}: source {source.title!r} not shown"
            if source.url:
                assert source.url in text, f"{entry.id}: {source.url} not shown"
        assert re.search(r"\[\d+\] ➡️ ", related) or not entry.related, f"{entry.id}: no related"


async def test_terminal_styling_wraps_and_bolds_without_losing_words(council_app: App) -> None:
    terminal = TerminalChat(council_app.dialogue, out=io.StringIO(), styled=True)
    for entry in council_app.services.kb.entries.values():
        for message in (
            first_message(entry, None),
            detail_message(entry),
            sources_message(entry, "Sources:"),
        ):
            shown = terminal.render(message)
            plain = shown.replace(BOLD[0], "").replace(BOLD[1], "")
            assert squeeze(plain) == squeeze(html_to_plain(message)), entry.id
            assert shown.startswith(BOLD[0] + entry.title + BOLD[1]), entry.id
            assert shown.count(BOLD[0]) == shown.count(BOLD[1]), entry.id
            for line in plain.split("\n"):
                assert len(line) <= 100 or " " not in line.strip(), f"{entry.id}: {line!r}"


def test_wrap_hangs_bullets_and_numbers_under_their_text() -> None:
    bullet = "• " + "word " * 30
    lines = wrap(bullet.rstrip(), 40).split("\n")
    assert lines[0].startswith("• ") and all(line.startswith("  w") for line in lines[1:])
    numbered = wrap("12. " + "word " * 30, 40).split("\n")
    assert all(line.startswith("    w") for line in numbered[1:])
    url = "https://example.org/" + "a" * 80
    assert wrap(f"see {url}", 40).split("\n") == ["see", url]


async def test_terminal_saves_files_and_hints_at_missing_buttons(
    council_app: App, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    files.mkdir()
    out = io.StringIO()
    terminal = TerminalChat(council_app.dialogue, out=out, styled=False, files_dir=files)
    await terminal.send("/mydata")
    saved = sorted(os.listdir(files))
    assert len(saved) == 1 and saved[0].startswith("sendbot-my-data-"), saved
    assert f"(file saved: {files / saved[0]})" in out.getvalue()
    assert os.stat(files / saved[0]).st_mode & 0o077 == 0, "the file is readable by others"
    await terminal.send("/mydata")
    assert len(os.listdir(files)) == 2, "a file was overwritten"
    shown = len(terminal.buttons)
    assert terminal.no_such_button(str(shown + 1)) and not terminal.no_such_button("1")
    assert not terminal.no_such_button("2015"), "a long number is a message, not a button"
    terminal.buttons = terminal.buttons[:1]
    assert terminal.button_hint().startswith("Type 1 to press a button")
    terminal.buttons = terminal.buttons * 3
    assert terminal.button_hint().startswith("Type a number from 1 to 3 to press a button")


@pytest.mark.parametrize("limit", [400, 900, 1500, 2500])
@pytest.mark.parametrize("council", COUNCILS, ids=lambda council: council or "national")
def test_real_entries_split_cleanly_at_any_limit(council: str, limit: int) -> None:
    for entry in load_knowledge(KNOWLEDGE, council or None).entries.values():
        whole = detail_message(entry)
        parts = split_message(whole, limit)
        seen = [check_telegram_html(part) for part in parts]
        assert all(units(part) <= limit for part in parts), entry.id
        assert all(s.strip() for s in seen), entry.id
        assert squeeze("".join(seen)) == squeeze(check_telegram_html(whole)), entry.id
        assert_split_at_paragraphs(whole, parts, limit)


def sentences(node: object) -> list[str]:
    """Every string in a messages.yaml tree."""
    if isinstance(node, dict):
        return [s for value in node.values() for s in sentences(value)]
    if isinstance(node, list):
        return [s for value in node for s in sentences(value)]
    return [node] if isinstance(node, str) else []


def test_every_sentence_of_the_bot_and_safeguarding_message_is_valid_telegram_html() -> None:
    texts = sentences(yaml.safe_load((KNOWLEDGE / "messages.yaml").read_text(encoding="utf-8")))
    assert len(texts) > 100
    for council in COUNCILS[:-1]:
        pack = load_knowledge(KNOWLEDGE, council).council
        assert pack is not None
        if pack.safeguarding_message:
            texts.append(markdown_to_html(pack.safeguarding_message))
    for text in texts:
        check_telegram_html(text)


def test_button_labels_are_cut_at_a_word() -> None:
    title = "The council assessed but will not issue an EHC plan, and what to do about it now"
    label = button_label(f"➡️ {title}")
    assert len(label) <= LABEL_LIMIT and label.endswith("…")
    assert f"➡️ {title}".startswith(label[:-1])


def test_a_message_over_the_limit_keeps_its_formatting_in_every_part() -> None:
    paragraph = "<b>Bold " + "words " * 300 + "</b> and " + '<a href="https://x.org">a link</a>'
    parts = split_message("\n\n".join([paragraph] * 3), 1000)
    assert len(parts) > 3
    for part in parts:
        check_telegram_html(part)
        assert units(part) <= 1000
    assert parts[1].startswith("<b>"), "bold reopened in the next part"


def test_the_checker_rejects_what_telegram_rejects() -> None:
    for bad in (
        "<p>x</p>",
        "<b>x",
        "<b><i>x</b></i>",
        "a & b",
        "1 < 2",
        '<a href="https://x.org"><a href="https://y.org">x</a></a>',
        '<span class="red">x</span>',
        "<code><b>x</b></code>",
        "&nbsp;",
        '<b onclick="x">y</b>',
    ):
        with pytest.raises((AssertionError, ApiError)):
            check_telegram_html(bad)
    assert check_telegram_html('<b>a &amp; <a href="https://x.org">b</a></b> &#128512;') == (
        "a & b 😀"
    )


# --- Hypothesis: arbitrary text through Markdown -> HTML -> split --------------------------

MARKUP = "*_#-[]()<>&\"'.:/\n  "
SNIPPETS = ("**", "_", "# ", "## ", "- ", "  * ", "1. ", "\n\n", "[link](https://x.org/a_b)")
SNIPPETS += ("&amp;", "<b>", "https://", "\x00", "\r\n")
markdown_text = st.lists(
    st.one_of(
        st.text(alphabet=st.sampled_from(MARKUP + "abcXYZ019é😀"), max_size=40),
        st.text(max_size=20),
        st.sampled_from(SNIPPETS),
        st.text(alphabet="ab ", min_size=200, max_size=900),
    ),
    max_size=40,
).map("".join)


ADDRESS = re.compile(r"\(https://[^()\s]*\)")


def content(text: str) -> str:
    """Letters and digits in order: what no formatting may add, drop or reorder."""
    return "".join(ch for ch in text if ch.isalnum())


@given(markdown_text, st.integers(min_value=60, max_value=TELEGRAM_LIMIT))
@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_markdown_to_split_html_is_valid_and_loses_nothing(text: str, limit: int) -> None:
    html = markdown_to_html(text)
    visible = check_telegram_html(html)
    assert content(html_to_plain(html)) == content(text)
    parts = split_message(html, limit)
    seen = [check_telegram_html(part) for part in parts]
    assert all(units(part) <= limit for part in parts)
    if len(parts) > 1:
        assert all(s.strip() for s in seen), "an empty part"
    assert squeeze("".join(seen)) == squeeze(visible)
    # a link longer than the limit is split, and each part names its address: compare without
    plain_parts = ADDRESS.sub("", "".join(html_to_plain(p) for p in parts))
    assert squeeze(plain_parts) == squeeze(ADDRESS.sub("", html_to_plain(html)))
