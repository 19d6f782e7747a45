"""Where a family lives or a child goes to school: postcodes, addresses, school names.

Postcodes follow the UK government's published pattern for a full postcode. An address
is a house number and up to three words before a street word ("12 elm road", "3a The
Old Mill Lane"), a flat or apartment number, or a street named after "live on", "moved
to" and the like. A school is the name-like words before "Primary", "Academy", "School",
"College" and the like ("Oakwood Primary", "St Mary's C of E Primary School"). When a
word could be part of a name it goes: the group sees less.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sendbot.core.redaction.placeholders import ADDRESS, POSTCODE, SCHOOL
from sendbot.core.redaction.words import COMMON_WORDS, RARE, frequency, is_known

# The government data standard's pattern for a full UK postcode (outward and inward code).
_POSTCODE = re.compile(
    r"\b(?:GIR\s?0AA|(?:[A-Z][0-9]{1,2}|[A-Z][A-HJ-Y][0-9]{1,2}|[A-Z][0-9][A-Z]"
    r"|[A-Z][A-HJ-Y][0-9][A-Z]?)\s?[0-9][A-Z]{2})\b",
    re.IGNORECASE,
)
_STREET = (
    r"road|rd|street|st|avenue|ave|close|lane|ln|drive|way|crescent|cres|grove|gardens|gdns"
    r"|place|court|ct|terrace|square|sq|mews|rise|walk|row|parade|hill|park|view|green|vale"
    r"|wharf|yard|boulevard|estate|heights|meadows?|fields|cottages|circus|broadway|hollow"
)
_WORDS = r"[^\W\d_][\w'’.-]*"
_HOUSE = re.compile(
    rf"\b\d{{1,4}}[a-z]?(?:\s?[-/]\s?\d{{1,4}}[a-z]?)?,?\s+(?P<words>(?:{_WORDS}\s+){{1,3}})"
    rf"(?:{_STREET})\b\.?",
    re.IGNORECASE,
)
_FLAT = re.compile(
    r"\b(?:flat|apartment|apt|maisonette)\.?\s*(?:no\.?\s*)?\d+[a-z]?\b", re.IGNORECASE
)
_LIVE_ON = re.compile(
    rf"\b(?:live|lives|living|lived|moved|moving|move|address\s+is|address:)\s+"
    rf"(?:(?:on|in|at|to|into)\s+)?(?:the\s+)?(?P<words>(?:{_WORDS}\s+){{1,3}})(?:{_STREET})\b\.?",
    re.IGNORECASE,
)
_NAMED_STREET = re.compile(rf"\b(?P<words>(?:[A-Z][\w'’-]*\s+){{1,3}})(?:{_STREET.title()})\b\.?")
_SCHOOL_WORD = re.compile(
    r"\b(?:primary|academy|school|college|infants?|juniors?|nursery|grammar)"
    r"(?:\s+(?:school|academy|college))?\b",
    re.IGNORECASE,
)
# Words that may stand inside a school's name without being name-like themselves.
_SCHOOL_JOINERS = frozenset(
    """
    st st. saint c of e ce rc church england catholic community infant infants junior
    high free trust and & the
    """.split()  # noqa: SIM905
)
_WORD_BEFORE = re.compile(r"([^\W\d_][\w'’&-]*\.?|&)\s*$")


def _street(match: re.Match[str], keep_cue: bool, known: Collection[str] | None = None) -> str:
    """An address placeholder for a street, unless its name is made of ordinary words.

    Every word of the street's name must be unusual ("12 elm road", not "20 weeks in the
    close"); for a street named without a number (`known` given), ordinary words leading
    into it stay and one of the rest must be a word the knowledge base does not use. With
    `keep_cue`, what comes before the street's name ("we live on") stays.
    """
    whole = match.group(0)
    offset = match.start("words") - match.start()
    words = match.group("words").split()
    lead = 0
    if known is not None:
        while lead < len(words) - 1 and words[lead].lower() in COMMON_WORDS:
            lead += 1
    name = words[lead:]
    if name and name[0].lower() == "the":
        name = name[1:]
    if not name or any(word.lower() in COMMON_WORDS for word in name):
        return whole
    if known is not None and all(is_known(word, known) for word in name):
        return whole
    if known is not None:
        spaces = re.match(rf"(?:\S+\s+){{{lead}}}", whole)
        return whole[: spaces.end() if spaces else 0] + ADDRESS
    return (whole[:offset] if keep_cue else "") + ADDRESS


def _school_start(text: str, end: int, known: Collection[str], generic: bool) -> int:
    """Where the name before a school word starts (`end` when there is none).

    Before a word as general as "school" or "college", a lower-case word is taken for a
    name only when it is no English word at all ("oakwood school", not "bristol school").
    """
    rare = 0.01 if generic else RARE
    start = end
    found = False
    while True:
        match = _WORD_BEFORE.search(text, 0, start)
        if not match:
            break
        word = match.group(1)
        low = word.lower()
        if low.endswith(".") and low != "st.":
            break  # the end of a sentence
        capital = word[0].isupper()
        if (low in _SCHOOL_JOINERS and capital) or low in {"of", "&"}:
            start = match.start()
            continue
        unknown = not is_known(word, known)
        if unknown and (capital or frequency(word) < rare):
            start, found = match.start(), True
            continue
        break
    if not found:
        return end
    # A joiner cannot start the name ("the", "and" before it stay).
    while True:
        match = re.match(r"(?:the|and|of|&)\s+", text[start:end], re.IGNORECASE)
        if not match:
            return start
        start += match.end()


def _schools(text: str, known: Collection[str]) -> str:
    """Replace school names: name-like words followed by a school word."""
    spans = []
    for match in _SCHOOL_WORD.finditer(text):
        generic = match.group(0).lower() in {"school", "college"}
        start = _school_start(text, match.start(), known, generic)
        if start < match.start():
            spans.append((start, match.end()))
    for start, end in reversed(spans):
        text = text[:start] + SCHOOL + text[end:]
    return text


def redact_places(text: str, known: Collection[str]) -> str:
    """Text with postcodes, addresses and school names replaced."""
    text = _POSTCODE.sub(POSTCODE, text)
    text = _FLAT.sub(ADDRESS, text)
    text = _HOUSE.sub(lambda m: _street(m, keep_cue=False), text)
    text = _LIVE_ON.sub(lambda m: _street(m, keep_cue=True), text)
    text = _NAMED_STREET.sub(lambda m: _street(m, keep_cue=False, known=known), text)
    return _schools(text, known)
