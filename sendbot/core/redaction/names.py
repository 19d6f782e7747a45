"""People's names: the caller's known names, names after cue words, and their repeats.

A word is taken for a name after a title ("Mrs Patel"), after the words that introduce
one ("my son Leo", "my name is Sarah", "I am sarah jones", "this is Jo", "it's Priya"),
when it is a capitalised word in mid-sentence that is not an ordinary word, or when it
follows a name directly ("Leo Smith"). After "I am", "I'm", "this is" and "it's" a
capitalised (or all-capital) word goes unless the knowledge base uses it; a lower-case
one goes when it is a first name or a rare word ("sarah", not "desperate"). Every word
taken for a name then goes wherever else it appears, in any case ("SARAH JONES").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

from sendbot.core.redaction.placeholders import NAME
from sendbot.core.redaction.words import RARE, frequency, is_given_name, is_known, name_like

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$")
_PLACEHOLDER = re.compile(r"\[[^\[\]]*\]")
_STRONG_CUES = (
    r"(?:my|our|her|his|their)\s+(?:son|sons|daughter|daughters|child|kid|boy|girl|grandson|"
    r"granddaughter|stepson|stepdaughter|nephew|niece|brother|sister|husband|wife|partner|"
    r"twins?)|ds\d?|dd\d?|dc\d?|called|named"
)
_NAMING_CUES = r"name\s+is|names\s+are|name's|name’s|call\s+me|known\s+as|signed"
_SELF_CUES = r"i\s+am|i'm|i’m|im|this\s+is|it's|it’s"
_WEAK_CUES = r"from|at|to|with|and"
_TITLE_CUES = r"mr|mrs|ms|miss|mx|dr|sir|dame"
_CUES = re.compile(
    rf"\b(?:(?P<strong>{_STRONG_CUES})|(?P<naming>{_NAMING_CUES})|(?P<title>{_TITLE_CUES})"
    rf"|(?P<self>{_SELF_CUES})|(?P<weak>{_WEAK_CUES}))\b[\s,.:]*",
    re.IGNORECASE,
)
# After "I am sarah", a lower-case word goes as a surname unless it is about this common.
_SURNAME_FREQUENCY = 4.5
# Words that can follow "my name is" without being a name.
_NOT_NAMES = frozenset("a an the not very so just really also actually and or but".split())  # noqa: SIM905


def _capital(word: str) -> bool:
    """Whether a word is written with a capital: Title case or all capitals."""
    return word[0].isupper()


def _is_name(
    word: str, cue: str | None, after: str | None, sentence_start: bool, known: Collection[str]
) -> bool:
    """Whether one word, in its place, is taken for a name.

    `after` is the kind of cue that began the name this word directly follows ("" for a
    name found without one), None when it follows no name.
    """
    after_name = after is not None
    if len(word) < 2 and cue != "title":
        return False
    capital = _capital(word)
    unknown = not is_known(word, known)
    title_case = capital and not word.isupper()
    if cue == "title":
        return True
    if cue == "naming":
        return word.lower() not in _NOT_NAMES
    if cue == "strong":
        return title_case or unknown or is_given_name(word)
    if cue == "self":
        return (capital and unknown) or name_like(word, known)
    if cue == "weak" and title_case and unknown:
        return True
    if after_name and unknown:
        if capital:
            return True
        # A surname after "I am sarah" may be a common word ("brown"), not after "my son".
        limit = _SURNAME_FREQUENCY if after in {"self", "naming"} else RARE
        return is_given_name(word) or frequency(word) < limit
    if after_name and title_case:
        return True
    return title_case and unknown and not sentence_start


def _inside(spans: list[tuple[int, int]], position: int) -> bool:
    """Whether a position falls inside one of the spans."""
    return any(start <= position < end for start, end in spans)


def redact_names(text: str, known: Collection[str]) -> str:
    """Replace words that look like names, and every other appearance of those words."""
    cues = {m.end(): m.lastgroup for m in _CUES.finditer(text)}
    placeholders = [m.span() for m in _PLACEHOLDER.finditer(text)]
    words = [m for m in _WORD.finditer(text) if not _inside(placeholders, m.start())]
    flags: list[bool] = []
    found: set[str] = set()
    previous_end = -1
    chain: str | None = None  # the cue that began the name the next word may follow
    for index, match in enumerate(words):
        start, word = match.start(), match.group(0)
        gap = text[previous_end:start] if previous_end >= 0 else ""
        before = text[words[index - 1].end() : start] if index else text[:start]
        sentence_start = index == 0 or bool(_SENTENCE_END.search(before))
        after = chain if previous_end >= 0 and not gap.strip() else None
        cue = cues.get(start)
        flag = _is_name(word, cue, after, sentence_start, known)
        flags.append(flag)
        previous_end = match.end() if flag else -1
        chain = (after if after is not None else (cue or "")) if flag else None
        if flag and len(word) > 1 and not is_known(word, known):
            found.add(_base(word))
    out: list[str] = []
    position = 0
    for match, flag in zip(words, flags, strict=True):
        out.append(text[position : match.start()])
        out.append(NAME if flag or _base(match.group(0)) in found else match.group(0))
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def _base(word: str) -> str:
    """A word in lower case without a possessive 's."""
    return word.lower().replace("’", "'").removesuffix("'s")


def redact_known_names(text: str, names: Collection[str]) -> str:
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


def lowered(words: Collection[str]) -> Collection[str]:
    """Known words in lower case; a frozenset (the usual vocabulary) is lowered only once."""
    if isinstance(words, frozenset):
        return _lowered_set(words)
    return {word.lower() for word in words}
