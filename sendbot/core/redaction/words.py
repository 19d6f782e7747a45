"""Which words are ordinary English, which are first names: shared by the name finders."""

from __future__ import annotations

import functools
from collections.abc import Collection

from sendbot.kb.english import zipf

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
# Below this Zipf frequency (about 3 uses in a million words) a word is rare enough to be
# a name; "sarah" is 3.4, "jones" 2.7, "worried" 5.0, "desperate" 4.4.
RARE = 3.5


def is_known(word: str, known: Collection[str]) -> bool:
    """Whether a word (or its form without 's or apostrophes) is an ordinary word."""
    low = word.lower().replace("’", "'")
    forms = {low, low.removesuffix("'s"), low.replace("'", "")}
    return any(form in COMMON_WORDS or form in known for form in forms)


def frequency(word: str) -> float:
    """How common a word is in English (Zipf scale; 0 when the list does not hold it)."""
    low = word.lower().replace("’", "'").removesuffix("'s").replace("'", "")
    return zipf(low) if low.isascii() else 0.0


@functools.lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """English first names and their nicknames, in lower case (the nicknames package)."""
    from nicknames import name_triplets

    names: set[str] = set()
    for triplet in name_triplets():
        names.update((triplet.name1.lower(), triplet.name2.lower()))
    return frozenset(names - COMMON_WORDS)


def is_given_name(word: str) -> bool:
    """Whether a word is a known first name (any case)."""
    return word.lower().replace("’", "'").removesuffix("'s") in given_names()


def name_like(word: str, known: Collection[str]) -> bool:
    """Whether a word could be a name: not an ordinary word, and a first name or rare."""
    if is_known(word, known):
        return False
    return is_given_name(word) or frequency(word) < RARE
