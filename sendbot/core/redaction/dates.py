"""Dates, such as a date of birth: in figures, in words, or a year after "born".

Dates are looked for in the copy where letters written for digits are read as digits
("O3/O5/2O15"), and replaced in the original.
"""

from __future__ import annotations

import re

from sendbot.core.redaction.numbers import deobfuscated
from sendbot.core.redaction.placeholders import DATE
from sendbot.core.redaction.textmap import replace_spans

_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b")
_ISO_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:\d{4}|'\d{2})"
_WORD_DATE = re.compile(
    rf"\b(?:{_DAY}\s+(?:of\s+)?{_MONTH},?(?:\s+{_YEAR})?|{_MONTH}\s+{_DAY},?(?:\s+{_YEAR})?)"
    rf"(?![\w])",
    re.IGNORECASE,
)
_CUE = r"born(?:\s+(?:on|in))?(?:\s+the)?|d\.?o\.?b\.?|date\s+of\s+birth|birthday(?:\s+is)?"
# After a birth cue, a year, a month and year, figures with spaces, or a day alone:
# "born March 2017", "DOB: 2016", "dob 03 05 2015", "born on the 3rd", "dob Ol May 2OlO".
_BIRTH = re.compile(
    rf"\b(?P<cue>{_CUE})(?P<sep>[\s:,-]*)"
    rf"(?:(?:(?:\w{{1,4}}\s+(?:of\s+)?)?{_MONTH},?\s+)?\d{{4}}|\d{{1,2}}\s+\d{{1,2}}\s+(?:\d{{4}}|\d{{2}})|{_DAY})\b",
    re.IGNORECASE,
)


def redact_dates(text: str) -> str:
    """Text with dates (in figures or words) and years of birth replaced."""
    for pattern in (_ISO_DATE, _DATE, _WORD_DATE):
        copy = deobfuscated(text)
        text = replace_spans(text, (m.span() for m in pattern.finditer(copy)), DATE)
    copy = deobfuscated(text)
    for match in reversed(list(_BIRTH.finditer(copy))):
        space = "" if match.group("sep") else " "
        text = text[: match.end("sep")] + space + DATE + text[match.end() :]
    return text
