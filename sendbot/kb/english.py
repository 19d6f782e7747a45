"""How common a word is in everyday English, from pyspellchecker's word-frequency list.

Question matching uses it twice: a common English word is never "repaired" into a
knowledge-base word ("book" is not a typo of "look"), and a common word the knowledge
base never uses ("tax", "passport") is strong evidence that a question is about
something else, while a rare or made-up one (a name, a typo, "dysregulated") is weak.

Frequencies are on the Zipf scale: log10 of occurrences per billion words, so "the" is
about 7.7, "council" 4.1, "tribunal" 3.1, and a word the list does not hold is 0.

The list has 160,000 words. Held as a Python dict it takes about 25 MB in every bot
process (and twice that while it is read), so it is kept as two numpy arrays instead: a
sorted 64-bit hash of each word and its frequency, about 2 MB, read without ever
building the whole list as Python objects.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

# Words seen fewer times than this (Zipf about 1.5) are mostly noise: typos, fragments.
_MIN_COUNT = 50
# One `"word": count` pair of the list's JSON object.
_PAIR = re.compile(rb'"((?:[^"\\]|\\.)*)"\s*:\s*(\d+)')


def _hash(word: str) -> int:
    """A stable 64-bit hash of a word (collisions among 160,000 words: about 1 in 10^9)."""
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


@dataclass(frozen=True)
class _Table:
    """Word hashes, sorted, and each word's Zipf frequency."""

    keys: np.ndarray
    values: np.ndarray

    def get(self, word: str) -> float:
        """A word's frequency, 0 when the list does not hold it."""
        key = np.uint64(_hash(word))
        index = int(np.searchsorted(self.keys, key))
        if index < len(self.keys) and self.keys[index] == key:
            return float(self.values[index])
        return 0.0

    def __len__(self) -> int:
        return len(self.keys)


def _pairs(raw: bytes) -> Iterator[tuple[str | None, int]]:
    """Every word of the list with its count, one JSON pair at a time.

    The word is None when it is kept out (too rare, or not ASCII), as its count still adds
    to the total; apostrophes are removed from the rest.
    """
    for match in _PAIR.finditer(raw):
        count = int(match.group(2))
        if count < _MIN_COUNT:
            yield None, count
            continue
        quoted = match.group(1)
        word = json.loads(b'"' + quoted + b'"') if b"\\" in quoted else quoted.decode()
        # Questions are matched without apostrophes: "doesn't" is looked up as "doesnt".
        yield (word.replace("'", "") if word.isascii() else None), count


@lru_cache(maxsize=1)
def _zipf_table() -> _Table:
    """The frequency table; empty when the list is not installed."""
    empty = _Table(np.zeros(0, dtype=np.uint64), np.zeros(0))
    try:
        data = resources.files("spellchecker").joinpath("resources", "en.json.gz").read_bytes()
        raw = gzip.decompress(data)
    except (ModuleNotFoundError, FileNotFoundError, OSError, ValueError):
        return empty
    total = 0
    hashes, counts = array("Q"), array("Q")  # compact while reading, in one pass
    for word, count in _pairs(raw):
        total += count
        if word is not None:
            hashes.append(_hash(word))
            counts.append(count)
    if not hashes:
        return empty
    scale = 1e9 / total
    frequencies = array("d", (round(math.log10(count * scale), 2) for count in counts))
    keys = np.frombuffer(hashes, dtype=np.uint64)
    values = np.frombuffer(frequencies, dtype=np.float64)
    # Sorted by hash, then frequency: the last of each run of one hash is its highest.
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    last = np.append(keys[1:] != keys[:-1], True)
    return _Table(keys[last], values[last])


@lru_cache(maxsize=16_384)
def zipf(word: str) -> float:
    """How common a lower-case word is (Zipf scale; 0 when unknown)."""
    return _zipf_table().get(word)


def available() -> bool:
    """Whether the frequency list is installed."""
    return len(_zipf_table()) > 0
