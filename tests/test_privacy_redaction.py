"""Redaction of the personal data issue 8 lists, tried with generated values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from sendbot.core.redaction import redact

KNOWN = {"ehcp", "council", "school", "plan", "review", "senco", "tribunal"}
FILLER = st.sampled_from(
    ["", "hi, ", "Please help. ", "my details: ", "the council said ", "EHCP review. "]
)


def nhs_check_digit(nine: str) -> int:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    return (11 - total % 11) % 11


@st.composite
def nhs_numbers(draw: st.DrawFn) -> str:
    nine = draw(st.text("0123456789", min_size=9, max_size=9))
    check = nhs_check_digit(nine)
    assume(check != 10)
    digits = nine + str(check)
    sep = draw(st.sampled_from(["", " ", "-"]))
    return f"{digits[:3]}{sep}{digits[3:6]}{sep}{digits[6:]}"


@st.composite
def ni_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.text("ABCEGHJKLMNPRSTWXYZ", min_size=2, max_size=2))
    digits = draw(st.text("0123456789", min_size=6, max_size=6))
    suffix = draw(st.sampled_from("ABCD"))
    spaced = draw(st.booleans())
    if spaced:
        return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
    return f"{prefix}{digits}{suffix}"


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    rest = draw(st.text("0123456789", min_size=8, max_size=8))
    number = "077" + rest
    form = draw(st.sampled_from(["plain", "spaced", "intl"]))
    if form == "spaced":
        return f"{number[:5]} {number[5:]}"
    if form == "intl":
        return "+44 " + number[1:]
    return number


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


@settings(max_examples=150, deadline=None)
@given(nhs_numbers(), FILLER)
def test_nhs_numbers_with_a_valid_check_digit_never_survive(number: str, before: str) -> None:
    redacted = redact(f"{before}NHS number {number} thanks", KNOWN)
    assert digits_of(number) not in digits_of(redacted)


@settings(max_examples=150, deadline=None)
@given(ni_numbers(), FILLER)
def test_national_insurance_numbers_never_survive(number: str, before: str) -> None:
    redacted = redact(f"{before}my NI is {number}.", KNOWN)
    assert digits_of(number) not in digits_of(redacted)
    assert "[NI number]" in redacted


@settings(max_examples=150, deadline=None)
@given(mobiles(), FILLER)
def test_phone_numbers_never_survive(number: str, before: str) -> None:
    redacted = redact(f"{before}ring me on {number} after 3", KNOWN)
    assert digits_of(number)[-6:] not in digits_of(redacted)


@settings(max_examples=100, deadline=None)
@given(st.emails())
def test_email_addresses_never_survive(address: str) -> None:
    redacted = redact(f"write to {address} please", KNOWN)
    assert address not in redacted
    assert address.split("@")[1] not in redacted


@pytest.mark.parametrize(
    "postcode", ["BS1 5TR", "bs16 1qy", "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT"]
)
def test_uk_postcodes_go(postcode: str) -> None:
    redacted = redact(f"we live at {postcode} near the school", KNOWN)
    assert postcode.lower() not in redacted.lower()
    assert "[postcode]" in redacted


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("born 03/05/2015", "03/05/2015"),
        ("DOB 3.5.15", "3.5.15"),
        ("date of birth 2015-05-03", "2015-05-03"),
        ("he was born on 3rd May 2015", "May 2015"),
        ("she was born on the 14 February 2016", "February 2016"),
        ("born May 3rd, 2015", "May 3rd"),
        ("DOB: March 2016", "March 2016"),
        ("born in 2015 and diagnosed at 4", "2015"),
    ],
)
def test_dates_of_birth_go(text: str, gone: str) -> None:
    redacted = redact(text, KNOWN)
    assert gone not in redacted
    assert "[date]" in redacted


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["Oliver", "Amelia-Rose", "Zoë", "Jo", "Aarav", "Siobhán"]),
    st.sampled_from([str.lower, str.upper, str.title, str]),
    FILLER,
)
def test_the_linked_childs_name_goes_in_any_case(name: str, case: object, before: str) -> None:
    written = case(name)  # type: ignore[operator]
    text = f"{before}{written} has been excluded again and {written}'s TA left"
    redacted = redact(text, KNOWN, names=[name])
    assert name.lower() not in redacted.lower()


def test_a_name_inside_another_word_stays() -> None:
    assert redact("the joint review was fine", KNOWN, names=["Jo"]) == "the joint review was fine"


@pytest.mark.parametrize(
    "text",
    [
        "How long does an EHCP take?",
        "The council refused to assess, what now?",
        "Is it 20 weeks from the request?",
        "Can I appeal to the tribunal in March?",
        "may I ask about the annual review",
    ],
)
def test_ordinary_questions_are_left_alone(text: str) -> None:
    assert redact(text, KNOWN) == text


async def test_a_gap_question_loses_the_linked_childs_name(app: Any, tmp_path: Path) -> None:
    from sendbot.storage.models import KnowledgeGap
    from tests.privacy_helpers import CHILD, Clock, linked_parent

    app.services.clock = Clock()
    parent = await linked_parent(app, tmp_path)
    await parent.send(f"{CHILD.lower()} keeps getting zorbled by the quagmire, what now")
    async with app.database.unit_of_work() as uow:
        kept = list((await uow.session.execute(select(KnowledgeGap.question))).scalars())
    assert kept, "the question was not recorded as a gap"
    assert all(CHILD.lower() not in question.lower() for question in kept)
