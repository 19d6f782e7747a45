"""Phone numbers, NHS and National Insurance numbers, and other long numbers.

Numbers are looked for in a copy where letters written for digits inside a run of
digits ("O7700 9OO123": O for 0, l or I for 1) are read as digits; the swap keeps every
character in place, so what is found in the copy is replaced in the original. The
phonenumbers library's matcher finds numbers in any usual layout ("+44 (0)117 496 0000",
"07700.900.123"); any other run of seven or more digits written like a phone number goes
too, and so does any plain run of six or more digits.
"""

from __future__ import annotations

import re

import phonenumbers

from sendbot.core.redaction.placeholders import NHS, NI_NUMBER, NUMBER, PHONE
from sendbot.core.redaction.textmap import Span, replace_spans

# Letters written for digits, one for one.
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})
# A token of digits and look-alike letters, not part of a word; or digits touching letters.
_TOKEN = r"(?:(?<![^\W\d_])[0-9OoIl|]+(?![^\W\d_])|\d+)"  # nosec B105 (a pattern)
_SEPARATOR = r"[\s.,\-‐‑–—()/\\_]{1,4}"
# A run of digit-like tokens: "+44 (0)117 496 0000", "O7700 9OO123", "07700.900.123".
_RUN = re.compile(rf"\+?\(?{_TOKEN}(?:{_SEPARATOR}{_TOKEN})*")
_NHS = re.compile(r"(?<![\d])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")
_LONG_NUMBER = re.compile(r"(?<![\w])\d{6,}(?![\w])")
# National Insurance numbers: two letters, six digits, and usually a letter A to D.
# The prefix's letters are HMRC's: never D, F, I, Q, U or V, and O never second.
_NI = re.compile(
    r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][ -]?\d{2}[ -]?\d{2}[ -]?\d{2}(?:[ -]?[A-D])?\b",
    re.IGNORECASE,
)
# Runs of digits that are dates or school years, not phone numbers: 12/03/2017, 2023-2024.
_NOT_A_PHONE = re.compile(
    r"\d{1,2}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?(?:\d{4}|\d{2})|\d{4}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?\d{1,2}"
    r"|(?:19|20)\d\d\s?[-/–]\s?(?:19|20)?\d\d|\d{1,2}[.:]\d\d\s?[-–]\s?\d{1,2}[.:]\d\d"
)
_MIN_PHONE_DIGITS = 7
_DIGIT = re.compile(r"\d")
_LOOKALIKE = re.compile(r"[OoIl|]")


def _digit_count(text: str) -> int:
    """How many digits a text holds."""
    return len(_DIGIT.findall(text))


def _runs(text: str) -> list[re.Match[str]]:
    """The runs of digit-like tokens long enough to be a number, with a real digit in."""
    return [
        m
        for m in _RUN.finditer(text)
        if _digit_count(m.group(0)) and sum(ch.isalnum() or ch == "|" for ch in m.group(0)) >= 4
    ]


def deobfuscated(text: str) -> str:
    """The text with letters written for digits read as digits, inside runs of digits only."""
    if not _DIGIT.search(text) or not _LOOKALIKE.search(text):
        return text
    out = text
    for match in _runs(text):
        run = match.group(0)
        swapped = run.translate(_LOOKALIKES)
        if swapped != run:
            out = out[: match.start()] + swapped + out[match.end() :]
    return out


def _nhs_valid(digits: str) -> bool:
    """The NHS number check digit (modulus 11)."""
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _phone_like(copy: str) -> list[Span]:
    """Runs of seven or more digits written like a phone number (not dates, years or refs)."""
    spans: list[Span] = []
    for match in _RUN.finditer(copy):
        run = match.group(0)
        if _digit_count(run) < _MIN_PHONE_DIGITS or "[" in run:
            continue
        if _digit_count(run) < 9 and (
            _NOT_A_PHONE.fullmatch(run.strip("()+ ")) or (run.isdigit() and run[0] != "0")
        ):
            continue
        spans.append(match.span())
    return spans


def redact_numbers(text: str) -> str:
    """Text with phone, NHS, National Insurance and other long numbers replaced."""
    copy = deobfuscated(text)
    if _digit_count(copy) < _MIN_PHONE_DIGITS:
        return _LONG_NUMBER.sub(NUMBER, _NI.sub(NI_NUMBER, text))
    phones = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(copy, "GB")]
    text = replace_spans(text, phones, PHONE)
    text = _NI.sub(NI_NUMBER, text)
    copy = deobfuscated(text)
    nhs = [m.span() for m in _NHS.finditer(copy) if _nhs_valid("".join(m.groups()))]
    text = replace_spans(text, nhs, NHS)
    copy = deobfuscated(text)
    text = replace_spans(text, _phone_like(copy), PHONE)
    return _LONG_NUMBER.sub(NUMBER, text)
