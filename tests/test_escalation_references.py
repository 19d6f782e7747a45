"""Ticket references and officer invite codes: random, readable, and parsed forgivingly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sendbot.core.cases.codes import ALPHABET
from sendbot.core.escalation.references import (
    find_reference,
    invite_hash,
    new_invite_code,
    new_reference,
    normalise_invite,
    read_reference,
)
from sendbot.core.keyring import Keyring

BODY = st.text(alphabet=ALPHABET, min_size=6, max_size=6)


@given(BODY)
def test_a_reference_reads_back_however_it_is_typed(body: str) -> None:
    reference = f"T-{body}"
    for typed in (reference, reference.lower(), f" t {body.lower()} ", f"T{body}"):
        assert read_reference(typed) == reference
    assert find_reference(f"💬 Reply about your request {reference}: hello") == reference


@given(st.text(max_size=40))
def test_reading_never_fails_and_only_yields_well_formed_references(text: str) -> None:
    for found in (read_reference(text), find_reference(text), read_reference(text, "F")):
        if found is not None:
            assert found[:2] in ("T-", "F-") and all(ch in ALPHABET for ch in found[2:])
            assert len(found) == 8


def test_ordinary_words_are_not_taken_for_references() -> None:
    assert find_reference("Teacher said the TA would come on Tuesday") is None
    assert read_reference("thanks") is None
    assert find_reference(None) is None


def test_new_references_and_codes_are_well_formed_and_differ() -> None:
    references = {new_reference("T") for _ in range(200)}
    assert len(references) == 200
    assert all(read_reference(r) == r for r in references)
    codes = {new_invite_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        normalised = normalise_invite(code.lower().replace("-", " "))
        assert normalised == code.replace("-", "")


def test_invite_codes_are_stored_as_keyed_hashes() -> None:
    code = "ABCD2345EFGH"
    first, second = Keyring(["one key"]), Keyring(["another key"])
    assert invite_hash(first, code) != invite_hash(second, code)
    assert code not in invite_hash(first, code)
    assert normalise_invite("ABCD-2345-EFG") is None
    assert normalise_invite("ABCD-2345-EFG0") is None  # 0 is not in the alphabet
