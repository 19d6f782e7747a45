"""Sanitising, formatting and splitting text, with properties checked by Hypothesis."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from sendbot.core.formatting import (
    escape,
    html_to_plain,
    markdown_to_html,
    split_message,
)
from sendbot.core.sanitize import clean_text


@given(st.text())
def test_clean_text_leaves_no_control_or_invisible_characters(text: str) -> None:
    cleaned = clean_text(text)
    for ch in cleaned:
        assert ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs", "Co")
        assert ch not in "\u202e\u200b\u2066\ufeff"
    assert cleaned == cleaned.strip()


@given(st.text())
def test_clean_text_is_idempotent(text: str) -> None:
    assert clean_text(clean_text(text)) == clean_text(text)


def test_markdown_to_html_escapes_and_formats() -> None:
    html = markdown_to_html("## Next\n- **Bold** <script> & [IPSEA](https://www.ipsea.org.uk)")
    assert html == (
        "<b>Next</b>\n• <b>Bold</b> &lt;script&gt; &amp; "
        '<a href="https://www.ipsea.org.uk">IPSEA</a>'
    )
    assert html_to_plain(html) == "Next\n• Bold <script> & IPSEA (https://www.ipsea.org.uk)"


def test_markdown_links_only_allow_https() -> None:
    assert "<a " not in markdown_to_html("[x](javascript:alert(1))")


paragraph = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n<>&"),
    min_size=1,
    max_size=900,
)


@given(st.lists(paragraph, min_size=1, max_size=15), st.integers(min_value=50, max_value=4096))
def test_split_message_keeps_every_part_under_the_limit(parts: list[str], limit: int) -> None:
    text = "\n\n".join(escape(p) for p in parts)
    pieces = split_message(text, limit)
    assert all(len(piece) <= limit for piece in pieces)
    assert "".join(html_to_plain(p) for p in pieces).replace(" ", "").replace("\n", "") == (
        html_to_plain(text).replace(" ", "").replace("\n", "")
    )


def test_split_prefers_paragraph_breaks() -> None:
    text = "\n\n".join(["a" * 3000, "b" * 3000, "c" * 100])
    assert split_message(text) == ["a" * 3000, "b" * 3000 + "\n\n" + "c" * 100]
