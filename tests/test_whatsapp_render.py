"""WhatsApp's side of the words: HTML into WhatsApp's marks, text and choices within limits,
and webhook messages into Inbound."""

from __future__ import annotations

from typing import Any

from sendbot.adapters.whatsapp.render import render, row_of, split_text, whatsapp_text
from sendbot.adapters.whatsapp.translate import MENU_DATA, messages_of, to_received, update_id
from sendbot.core.keyring import Keyring
from sendbot.core.messages import Button, InboundKind, Outbound

SAY = {
    "whatsapp.choose": "Choose one:",
    "whatsapp.more_choices": "More choices:",
    "whatsapp.list_button": "Choose",
    "whatsapp.links": "Links:",
}.__getitem__
KEYRING = Keyring(["a-test-key-for-whatsapp"])


def test_html_becomes_whatsapp_marks_with_entities_unescaped() -> None:
    html = (
        "<b>EHC plans</b>\nYou have <i>20 weeks</i> &amp; <s>no</s> rights: <code>T-1</code>, "
        'see <a href="https://www.gov.uk/x">the guide</a> or <a href="mailto:a@b.uk">a@b.uk</a>'
        "\n<blockquote>quoted\nlines</blockquote>\n<u>under</u> <tg-spoiler>s</tg-spoiler>"
    )
    assert whatsapp_text(html) == (
        "*EHC plans*\nYou have _20 weeks_ & ~no~ rights: `T-1`, see the guide "
        "(https://www.gov.uk/x) or a@b.uk\n> quoted\n> lines\nunder s"
    )


def test_marks_touch_the_words_on_every_line() -> None:
    assert whatsapp_text("a<b> spaced </b>x") == "a *spaced* x"
    assert whatsapp_text("<b>one\n\ntwo</b>") == "*one*\n\n*two*"
    assert whatsapp_text("<b><i>both</i></b> &lt;b&gt;typed&lt;/b&gt;") == "*_both_* <b>typed</b>"
    assert whatsapp_text("<b>never closed") == "*never closed*"


def test_long_text_is_split_within_4096_and_loses_nothing() -> None:
    paragraph = "A sentence about <tags> & things that goes on. " * 20
    text = "\n\n".join([paragraph.strip()] * 12)
    parts = split_text(text)
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert "\n\n".join(parts) == text


def payload_types(payloads: list[dict[str, Any]]) -> list[str]:
    return [p["interactive"]["type"] if p["type"] == "interactive" else p["type"] for p in payloads]


def test_up_to_three_short_buttons_are_reply_buttons_under_the_text() -> None:
    message = Outbound("Pick one", ((Button("Yes", "y:1"), Button("No", "y:0")),))
    [payload] = render(message, SAY)
    assert payload["interactive"]["body"]["text"] == "Pick one"
    buttons = payload["interactive"]["action"]["buttons"]
    assert [(b["reply"]["title"], b["reply"]["id"]) for b in buttons] == [
        ("Yes", "y:1"),
        ("No", "y:0"),
    ]


def test_long_labels_or_more_buttons_make_a_list_keeping_the_whole_label() -> None:
    label = "What the council must do within 20 weeks"
    [payload] = render(Outbound("Topics", ((Button(label, "e:x"),),)), SAY)
    assert payload["interactive"]["type"] == "list"
    [row] = payload["interactive"]["action"]["sections"][0]["rows"]
    assert len(row["title"]) <= 24 and row["title"].endswith("…")
    assert row["description"] == label and row["id"] == "e:x"
    assert row_of(Button("Short", "s:1")) == {"id": "s:1", "title": "Short"}


def test_more_than_ten_choices_go_in_several_lists() -> None:
    buttons = tuple((Button(f"Topic {n}", f"t:{n}"),) for n in range(23))
    payloads = render(Outbound("Pick a topic", buttons), SAY)
    assert payload_types(payloads) == ["list", "list", "list"]
    rows = [r for p in payloads for r in p["interactive"]["action"]["sections"][0]["rows"]]
    assert [r["id"] for r in rows] == [f"t:{n}" for n in range(23)]
    bodies = [p["interactive"]["body"]["text"] for p in payloads]
    assert bodies == ["Pick a topic", "More choices:", "More choices:"]


def test_text_over_1024_goes_first_and_the_buttons_get_a_short_body() -> None:
    long = "word " * 300
    payloads = render(Outbound(long, ((Button("OK", "o:k"),),)), SAY)
    assert payload_types(payloads) == ["text", "button"]
    assert payloads[0]["text"]["body"] == long.strip()
    assert payloads[1]["interactive"]["body"]["text"] == "Choose one:"


def test_links_one_alone_is_a_button_several_go_in_the_text() -> None:
    [alone] = render(Outbound("Read it", ((Button("Open", url="https://x.uk/a"),),)), SAY)
    assert alone["interactive"]["type"] == "cta_url"
    assert alone["interactive"]["action"]["parameters"] == {
        "display_text": "Open",
        "url": "https://x.uk/a",
    }
    mixed = Outbound("Read", ((Button("Guide", url="https://x.uk/g"), Button("Menu", "m:menu")),))
    [payload] = render(mixed, SAY)
    assert payload["interactive"]["body"]["text"] == "Read\n\nLinks:\nGuide (https://x.uk/g)"
    assert payload["interactive"]["action"]["buttons"][0]["reply"]["id"] == "m:menu"


def notification(*messages: dict[str, Any], number_id: str = "42") -> dict[str, Any]:
    value = {"metadata": {"phone_number_id": number_id}, "messages": list(messages)}
    change = {"field": "messages", "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"changes": [change]}]}


def message(kind: str, content: Any, at: int = 1, mid: str = "wamid.1") -> dict[str, Any]:
    return {"from": "447700900123", "id": mid, "timestamp": str(at), "type": kind, kind: content}


def test_webhook_messages_become_inbound_of_the_right_kind() -> None:
    cases = [
        (message("text", {"body": "How long?"}), InboundKind.TEXT, "How long?"),
        (message("text", {"body": "/help"}), InboundKind.COMMAND, "/help"),
        (
            message("interactive", {"type": "button_reply", "button_reply": {"id": "m:ask"}}),
            InboundKind.BUTTON,
            "m:ask",
        ),
        (
            message("interactive", {"type": "list_reply", "list_reply": {"id": "e:x"}}),
            InboundKind.BUTTON,
            "e:x",
        ),
        (
            message("button", {"payload": "Show me", "text": "Show me"}),
            InboundKind.BUTTON,
            MENU_DATA,
        ),
        (message("image", {"id": "1"}), InboundKind.UNSUPPORTED, ""),
        (message("audio", {"id": "1", "voice": True}), InboundKind.UNSUPPORTED, ""),
    ]
    for raw, kind, text in cases:
        received = to_received(raw, KEYRING)
        assert received is not None
        assert (received.inbound.kind, received.inbound.text) == (kind, text)
        assert received.inbound.channel == "whatsapp"
        assert received.inbound.update_id == update_id(KEYRING, "wamid.1")
    assert to_received(message("reaction", {"emoji": "👍"}), KEYRING) is None


def test_only_our_number_s_messages_are_taken_oldest_first() -> None:
    late, early = message("text", {"body": "b"}, at=9), message("text", {"body": "a"}, at=3)
    assert [m["text"]["body"] for m in messages_of(notification(late, early), "42")] == ["a", "b"]
    assert messages_of(notification(late, number_id="99"), "42") == []
    assert messages_of({"object": "page", "entry": []}, "42") == []
