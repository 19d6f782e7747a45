"""Search words: a text's normalised words, and their keyed hashes for the blind index.

Words are casefolded, stripped of accents, at least three letters long, not stop words
(the question matching's own list, `kb/synonyms.STOPWORDS`), and each counted once. Only
their keyed hashes (the keyring's search subkey) are stored, so the database holds no
word, though equal words hash equally.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sendbot.core.keyring import Keyring
from sendbot.kb.synonyms import STOPWORDS

WORD = re.compile(r"[^\W\d_]{3,}")
MAX_QUERY_WORDS = 8


def words(text: str) -> list[str]:
    """A text's search words, normalised, each once, in the order they first appear."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in plain if not unicodedata.combining(c))
    found = (w for w in WORD.findall(letters) if w not in STOPWORDS)
    return list(dict.fromkeys(found))


def hashes(keyring: Keyring, texts: Iterable[str | None]) -> set[str]:
    """The keyed hashes of the search words in some texts."""
    return {keyring.term(w) for text in texts if text for w in words(text)}


def query_hashes(keyring: Keyring, query: str) -> list[str]:
    """The hashes a search must all match (its first few words)."""
    return [keyring.term(w) for w in words(query)[:MAX_QUERY_WORDS]]
