"""Personal data is removed from questions before they are kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendbot.core.redaction import redact

KNOWN = {"bristol", "senco", "ehcp", "council", "school", "diagnosis", "plan", "assessment"}


@pytest.mark.parametrize(
    ("text", "gone", "placeholder"),
    [
        ("email me at jo.bloggs+send@example.co.uk please", "jo.bloggs", "[email]"),
        ("call 07911 123456 after 3", "07911 123456", "[phone]"),
        ("ring +44 (0)117 496 0000", "496 0000", "[phone]"),
        ("my mobile is 07700900123", "07700900123", "[phone]"),
        ("his NHS number is 943 476 5919", "943 476 5919", "[NHS number]"),
        ("nhs 9434765919", "9434765919", "[NHS number]"),
        ("we live at BS1 5TR near the school", "BS1 5TR", "[postcode]"),
        ("postcode bs16 1qy", "bs16 1qy", "[postcode]"),
        ("born 12/03/2017", "12/03/2017", "[date]"),
        ("case ref 12345678", "12345678", "[number]"),
        ("see https://example.com/my-case?id=42", "example.com", "[link]"),
    ],
)
def test_contact_details_and_numbers_are_removed(text: str, gone: str, placeholder: str) -> None:
    redacted = redact(text, KNOWN)
    assert gone not in redacted
    assert placeholder in redacted


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("My son Oliver has autism", "Oliver"),
        ("my daughter emily was refused an ehcp", "emily"),
        ("ds jack is 7", "jack"),
        ("Mrs Patel the senco said no", "Patel"),
        ("I spoke to Sarah at the council", "Sarah"),
        ("Hi, I'm Claire and my son Leo Smith is 9", "Smith"),
        ("she is called Amelia-Rose", "Amelia-Rose"),
        ("my son's name is Noah", "Noah"),
    ],
)
def test_names_are_removed(text: str, name: str) -> None:
    redacted = redact(text, KNOWN)
    assert name not in redacted
    assert "[name]" in redacted


def test_everything_at_once() -> None:
    text = (
        "My son Oliver Smith (NHS 943 476 5919) was excluded. Call 07700 900123 or "
        "oliver.mum@example.com, BS1 5TR."
    )
    redacted = redact(text, KNOWN)
    for secret in ("Oliver", "Smith", "943", "07700", "example.com", "BS1"):
        assert secret not in redacted
    assert redacted.startswith("My son [name] [name]")


@pytest.mark.parametrize(
    "text",
    [
        "how long does an ehcp take",
        "Can my child get an EHCP without a diagnosis?",
        "The council refused an assessment, what now?",
        "is it 20 weeks from the request",
        "Bristol council SENCO ignored me",
    ],
)
def test_ordinary_questions_are_kept(text: str) -> None:
    assert redact(text, KNOWN) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_redaction_never_fails(text: str) -> None:
    result = redact(text, KNOWN)
    assert isinstance(result, str)
    assert len(result) <= len(text) + 200
