"""Remove personal data from free text before it leaves the parent's own conversation.

The one module used wherever text is kept or shown to someone else: knowledge-gap
questions, the officers' group summaries, logs. What goes: e-mail addresses, web links,
phone numbers (the phonenumbers library, then any long run of digits), NHS numbers (with
their check digit; other ten-digit runs go as numbers anyway), National Insurance numbers,
UK postcodes, dates such as a date of birth (in figures or words), names the caller knows
(the linked child's first name), and other names: after "my son", "called", "Mrs" and the
like, and capitalised words in the middle of a sentence that are not known words. It errs
on the side of removing too much: a gap report with a few words missing is fine, a
child's name in it is not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

import phonenumbers

EMAIL = "[email]"
LINK = "[link]"
PHONE = "[phone]"
NHS = "[NHS number]"
NUMBER = "[number]"
POSTCODE = "[postcode]"
DATE = "[date]"
NAME = "[name]"
NI_NUMBER = "[NI number]"

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_NHS = re.compile(r"(?<![\d])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")
_PHONE_LIKE = re.compile(r"(?<![\w])\+?\(?\d[\d ()-]{7,}\d(?![\w])")
_LONG_NUMBER = re.compile(r"(?<![\w])\d{6,}(?![\w])")
_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s*\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
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
# Born in a month and year, or a year alone: "born March 2017", "DOB: 2016".
_BIRTH_YEAR = re.compile(
    rf"\b(?P<cue>born(?:\s+(?:on|in))?|d\.?o\.?b\.?|date\s+of\s+birth)(?P<sep>[\s:,-]*)"
    rf"(?:{_MONTH}\s+)?\d{{4}}\b",
    re.IGNORECASE,
)
# National Insurance numbers: two letters, six digits, and usually a letter A to D.
_NI = re.compile(r"\b[A-Z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}(?:[ -]?[A-D])?\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’-]*")

# Words after which the next word is probably a name: strong cues take any unknown word,
# weak ones ("I'm", "this is") only a capitalised one, titles any word at all.
_STRONG_CUES = (
    r"(?:my|our|her|his|their)\s+(?:son|sons|daughter|daughters|child|kid|boy|girl|grandson|"
    r"granddaughter|stepson|stepdaughter|nephew|niece|brother|sister|husband|wife|partner|"
    r"twins?)|ds\d?|dd\d?|dc\d?|called|named|name\s+is|names\s+are|name's|name’s"
)
_WEAK_CUES = r"i\s+am|i'm|i’m|im|this\s+is|from|at|to|with|and"
_TITLE_CUES = r"mr|mrs|ms|miss|mx|dr|sir|dame"
_CUES = re.compile(
    rf"\b(?:(?P<strong>{_STRONG_CUES})|(?P<title>{_TITLE_CUES})|(?P<weak>{_WEAK_CUES}))\b"
    r"[\s,.:]*",
    re.IGNORECASE,
)

# Common words that are never names, to keep the redaction readable. The caller adds the
# knowledge base's own words.
COMMON_WORDS = frozenset(
    """
    a an the and or but if so to of in on at by for from with about as into is are was were
    be been being am do does did have has had having not no yes can could will would should
    shall may might must i me my we our you your he him his she her they them their it its
    this that these those there here who what when where why how which all any some very
    just also too only still already again now then after before because since while until
    over under up down out off just really quite being getting going got get go aged age
    year years old month months week weeks day days today tomorrow yesterday monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july
    august september october november december christmas easter summer autumn winter spring
    half term school schools college nursery class teacher teachers head council team send
    sen ehcp ehc plan plans support help please thanks thank hi hello worried struggling
    struggles struggle finding finds autistic autism adhd dyslexic diagnosed waiting
    starting started moving moved refused refuses excluded suspended has had is was will
    been nearly almost about around currently now home at with i'm i've i'd i'll im ive dont
    cant wont didnt doesnt isnt hasnt havent
    """.split()  # noqa: SIM905
)


def _nhs_valid(digits: str) -> bool:
    """The NHS number check digit (modulus 11)."""
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _valid_phones(text: str) -> str:
    """Replace the phone numbers the phonenumbers library finds."""
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, "GB")]
    for start, end in reversed(spans):
        text = text[:start] + PHONE + text[end:]
    return text


def _phone_like(text: str) -> str:
    """Replace runs of nine or more digits written like a phone number."""

    def phone_like(match: re.Match[str]) -> str:
        digits = sum(ch.isdigit() for ch in match.group(0))
        return PHONE if digits >= 9 else match.group(0)

    return _PHONE_LIKE.sub(phone_like, text)


def _is_known(word: str, known: Collection[str]) -> bool:
    """Whether a word (or its form without 's or apostrophes) is an ordinary word."""
    low = word.lower().replace("’", "'")
    forms = {low, low.removesuffix("'s"), low.replace("'", "")}
    return any(form in COMMON_WORDS or form in known for form in forms)


def _names(text: str, known: Collection[str]) -> str:
    """Replace words that look like names."""
    cues = {m.end(): m.lastgroup for m in _CUES.finditer(text)}
    out: list[str] = []
    position = 0
    previous_name_end = -1
    for index, match in enumerate(_WORD.finditer(text)):
        start, end = match.span()
        word = match.group(0)
        gap = text[position:start]
        out.append(gap)
        position = end
        if start and text[start - 1] == "[":  # a placeholder already put in
            out.append(word)
            continue
        sentence_start = index == 0 or bool(re.search(r"[.!?:;]\s*$", gap))
        capital = word[0].isupper() and not word.isupper()
        unknown = not _is_known(word, known)
        cue = cues.get(start)
        continuing = previous_name_end >= 0 and not gap.strip() and capital
        is_name = (
            cue == "title"
            or (cue == "strong" and (capital or unknown))
            or (cue == "weak" and capital and unknown)
            or continuing
            or (capital and unknown and not sentence_start)
        )
        if is_name:
            out.append(NAME)
            previous_name_end = end
        else:
            out.append(word)
            previous_name_end = -1
    out.append(text[position:])
    return "".join(out)


def _known_names(text: str, names: Collection[str]) -> str:
    """Replace the names the caller knows (such as the linked child's), any case."""
    words = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
    if not words:
        return text
    pattern = "|".join(re.escape(word) for word in words)
    return re.sub(rf"(?<![\w])(?:{pattern})(?![\w])", NAME, text, flags=re.IGNORECASE)


@functools.lru_cache(maxsize=8)
def _lowered_set(words: frozenset[str]) -> frozenset[str]:
    """A word set in lower case, made once per set (such as the knowledge base's words)."""
    return frozenset(word.lower() for word in words)


def _lowered(words: Collection[str]) -> Collection[str]:
    """Known words in lower case; a frozenset (the usual vocabulary) is lowered only once."""
    if isinstance(words, frozenset):
        return _lowered_set(words)
    return {word.lower() for word in words}


def redact(text: str, known_words: Collection[str] = (), names: Collection[str] = ()) -> str:
    """Text with personal data replaced by placeholders such as [name] or [phone].

    `known_words` are ordinary words never taken for names (the knowledge base's own);
    `names` are always removed, whatever their case (the linked child's first name).
    """
    if not text:
        return ""
    text = _known_names(text, names)
    text = _EMAIL.sub(EMAIL, text)
    text = _LINK.sub(LINK, text)
    text = _NI.sub(NI_NUMBER, text)

    def nhs(match: re.Match[str]) -> str:
        digits = "".join(match.groups())
        return NHS if _nhs_valid(digits) else match.group(0)

    text = _valid_phones(text)
    text = _NHS.sub(nhs, text)
    text = _phone_like(text)
    text = _POSTCODE.sub(POSTCODE, text)
    text = _ISO_DATE.sub(DATE, text)
    text = _DATE.sub(DATE, text)
    text = _WORD_DATE.sub(DATE, text)
    text = _BIRTH_YEAR.sub(lambda m: f"{m.group('cue')}{m.group('sep') or ' '}{DATE}", text)
    text = _LONG_NUMBER.sub(NUMBER, text)
    text = _names(text, _lowered(known_words))
    return re.sub(r"\s+", " ", text).strip()
