"""How common a word is in everyday English, from pyspellchecker's word-frequency list.

Question matching uses it twice: a common English word is never "repaired" into a
knowledge-base word ("book" is not a typo of "look"), and a common word the knowledge
base never uses ("tax", "passport") is strong evidence that a question is about
something else, while a rare or made-up one (a name, a typo, "dysregulated") is weak.

Frequencies are on the Zipf scale: log10 of occurrences per billion words, so "the" is
about 7.7, "council" 4.1, "tribunal" 3.1, and a word the list does not hold is 0.
"""

from __future__ import annotations

import gzip
import json
import math
from functools import lru_cache
from importlib import resources

# Words seen fewer times than this (Zipf about 1.5) are mostly noise: typos, fragments.
_MIN_COUNT = 50


@lru_cache(maxsize=1)
def _zipf_table() -> dict[str, float]:
    """Word to Zipf frequency; empty when the list is not installed."""
    try:
        data = resources.files("spellchecker").joinpath("resources", "en.json.gz").read_bytes()
        counts: dict[str, int] = json.loads(gzip.decompress(data))
    except (ModuleNotFoundError, FileNotFoundError, OSError, ValueError):
        return {}
    total = sum(counts.values()) or 1
    scale = 1e9 / total
    table: dict[str, float] = {}
    for word, count in counts.items():
        if count < _MIN_COUNT or not word.isascii():
            continue
        value = round(math.log10(count * scale), 2)
        # Questions are matched without apostrophes: "doesn't" is looked up as "doesnt".
        key = word.replace("'", "")
        if value > table.get(key, 0.0):
            table[key] = value
    return table


def zipf(word: str) -> float:
    """How common a lower-case word is (Zipf scale; 0 when unknown)."""
    return _zipf_table().get(word, 0.0)


def available() -> bool:
    """Whether the frequency list is installed."""
    return bool(_zipf_table())
