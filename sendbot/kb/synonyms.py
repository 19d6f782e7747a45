"""Synonyms and abbreviations (knowledge/synonyms.yaml) and the question analyser.

The analyser turns text into the terms the engine indexes and searches:

1. `normalise`: lower case, no punctuation, British spelling;
2. typo repair: a word the knowledge base never uses, and that is not a common English
   word, is replaced by the closest word it does use, within one edit (two for long
   words), using rapidfuzz;
3. small words ("the", "my", "is") go;
4. word endings are trimmed (`stem`);
5. each synonym phrase, longest first, becomes its group's first item.

Both the knowledge base and the parent's question go through the same steps, one
sentence at a time, so that no phrase is read across a full stop or a question mark.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from sendbot.config import bundled_knowledge_dir
from sendbot.kb.english import zipf
from sendbot.kb.loader import KnowledgeError
from sendbot.kb.matching_files import knowledge_file, read_mapping_with_list
from sendbot.kb.normalise import normalise, stem

# Words too common to say anything about which answer is meant. Question words ("how",
# "who", "when"), negations ("not", "no", "without") and modal verbs that change the
# meaning ("must", "allowed") are kept: term weighting gives them their due.
STOPWORDS = frozenset(
    """
    a an the my our your his her their its me him them us we you he she it they i im ive id
    ours yours theirs hers myself ourselves yourself himself herself themselves
    youre hes shes theyre weve theyve is are was were be been being am do does did doing
    done have has had having of to in on at by for from with about as into onto this that
    these those there here and or but so if then than just very really also too please hi
    hello thanks thank thankyou any some would could should shall will can may might
    ill wed let lets whats thats theres heres hey dear anyone know knows
    question questions wondering wonder ok okay etc ie eg even all now still really actually
    literally basically already ever yet anyway though every each both either another such
    same own thing things stuff something anything everything lot lots bit oh um erm hmm
    sorry hiya cheers yes yeah surely totally completely quite maybe perhaps probably
    honestly seriously
    """.split()  # noqa: SIM905
)
# Where one sentence ends and the next begins.
_SENTENCE_END = re.compile(r"[.?!;\n]+")
# Words kept although listed above when they follow one of these (section i, part a).
_LETTER_AFTER = frozenset({"section", "sections", "part"})

DEFAULT_SYNONYMS = "synonyms.yaml"


class SynonymError(KnowledgeError):
    """synonyms.yaml is malformed; the message says where."""


@dataclass(frozen=True)
class SynonymTable:
    """Groups of equivalent phrases, each read as the group's first item, and fillers."""

    groups: tuple[tuple[str, ...], ...] = ()
    # Phrases that carry feeling but no subject ("new to all this", "at the end of my
    # tether"): dropped from questions before anything else, so they match no entry.
    fillers: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> SynonymTable:
        """Read a synonyms.yaml file."""
        raw, groups = read_mapping_with_list(path, "groups", SynonymError)
        parsed: list[tuple[str, ...]] = []
        for index, group in enumerate(groups, 1):
            if not isinstance(group, list) or len(group) < 2:
                raise SynonymError(f"{path}: group {index} needs at least two items")
            parsed.append(tuple(str(item) for item in group))
        fillers = raw.get("fillers", [])
        if not isinstance(fillers, list) or not all(
            isinstance(item, str) and normalise(item) for item in fillers
        ):
            raise SynonymError(f"{path}: 'fillers' must be a list of phrases")
        return cls(tuple(parsed), tuple(fillers))

    @classmethod
    def for_knowledge(cls, root: Path | None) -> SynonymTable:
        """The synonyms of a knowledge folder, or the bundled ones when it has none."""
        path = knowledge_file(root, DEFAULT_SYNONYMS)
        return cls.load(path) if path is not None else cls()

    def words(self) -> set[str]:
        """Every normalised word used in any item (known words for typo repair)."""
        return {w for group in self.groups for item in group for w in normalise(item).split()}


def content_words(words: Sequence[str]) -> list[str]:
    """Drop small words, keeping a letter after 'section' (section i, section a)."""
    kept: list[str] = []
    previous = ""
    for word in words:
        if word not in STOPWORDS or (len(word) == 1 and previous in _LETTER_AFTER):
            kept.append(word)
        previous = word
    return kept


@dataclass
class Analyser:
    """Text to index terms: normalise, repair typos, drop small words, stem, synonyms."""

    synonyms: SynonymTable = field(default_factory=SynonymTable)
    vocabulary: set[str] = field(default_factory=set)
    typo_repair: bool = True
    # A word at least this common in English (Zipf scale) is never taken for a typo.
    common_zipf: float = 2.0

    def __post_init__(self) -> None:
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._canonical: set[str] = set()
        self._canonical_zipf: dict[str, float] = {}
        owner: dict[tuple[str, ...], str] = {}
        for group in self.synonyms.groups:
            canonical = self._plain_terms(group[0])
            if not canonical:
                raise SynonymError(f"synonym group {group[0]!r}: its first item has no words")
            self._canonical.update(canonical)
            self._note_frequency(group, canonical)
            for item in group:
                key = tuple(self._plain_terms(item))
                if not key:
                    raise SynonymError(f"synonym {item!r} has no words once small words go")
                if key in owner and owner[key] != group[0]:
                    raise SynonymError(
                        f"synonym {item!r} is in two groups: {owner[key]!r} and {group[0]!r}"
                    )
                owner[key] = group[0]
                self._phrases[key] = tuple(canonical)
        self._canonical_terms = frozenset(self._canonical)
        self._fillers: dict[tuple[str, ...], tuple[str, ...]] = {
            tuple(normalise(item).split()): () for item in self.synonyms.fillers
        }
        self._filler_starts = _longest_from(self._fillers)
        self._phrase_starts = _longest_from(self._phrases)
        known = set(self.vocabulary) | self.synonyms.words()
        self._known = known
        self._choices = sorted(w for w in known if len(w) >= 3 and w.isalpha())
        self._repairs: dict[str, str] = {}
        self._stem_zipf: dict[str, float] = {}
        for word in known:
            term = stem(word)
            self._stem_zipf[term] = max(self._stem_zipf.get(term, 0.0), zipf(word))

    def _note_frequency(self, group: Sequence[str], canonical: Sequence[str]) -> None:
        """Remember how common a group is in everyday English.

        As common as its most common one-word item ("deadline" for "timescale", "son"
        for "child"); a group of phrases only, as the rarest word of its first item.
        """
        items = [normalise(item).split() for item in group]
        single = [words[0] for words in items if len(words) == 1]
        first = content_words(items[0])
        frequency = (
            max(zipf(word) for word in single)
            if single
            else min((zipf(word) for word in first), default=0.0)
        )
        for term in canonical:
            self._canonical_zipf[term] = max(self._canonical_zipf.get(term, 0.0), frequency)

    @staticmethod
    def _plain_terms(text: str) -> list[str]:
        """Normalise, drop small words and stem, without typo repair or synonyms."""
        return [stem(w) for w in content_words(normalise(text).split())]

    def repair(self, word: str) -> str:
        """The closest known word to an unknown one, or the word itself."""
        if word in self._known or len(word) < 4 or not word.isalpha() or not self.typo_repair:
            return word
        if zipf(word) >= self.common_zipf:
            return word
        cached = self._repairs.get(word)
        if cached is not None:
            return cached
        limit = 1 if len(word) < 8 else 2
        best = process.extractOne(
            word,
            self._choices,
            scorer=DamerauLevenshtein.distance,
            score_cutoff=limit,
        )
        fixed = best[0] if best is not None else word
        if len(self._repairs) < 100_000:
            self._repairs[word] = fixed
        return fixed

    def words(self, text: str) -> list[str]:
        """Normalised, typo-repaired words without fillers and small words (before stemming)."""
        words = [self.repair(w) for w in normalise(text).split()]
        return content_words(self.without_fillers(words) if self._fillers else words)

    def without_fillers(self, words: Sequence[str]) -> list[str]:
        """The words with every filler phrase taken out, longest first."""
        return _replace_phrases(words, self._fillers, self._filler_starts)

    def terms(self, text: str) -> list[str]:
        """The index terms of a text, in order."""
        return [term for sentence in self.sentences(text) for term in sentence]

    def sentences(self, text: str) -> list[list[str]]:
        """The index terms of each sentence of a text (no phrase spans two sentences)."""
        return self.sentences_and_surfaces(text)[0]

    def sentences_and_surfaces(self, text: str) -> tuple[list[list[str]], dict[str, str]]:
        """The terms of each sentence, and the word each unexpanded term came from."""
        sentences: list[list[str]] = []
        surfaces: dict[str, str] = {}
        for part in _SENTENCE_END.split(text):
            words = self.words(part)
            stems = [stem(w) for w in words]
            for term, word in zip(stems, words, strict=True):
                surfaces.setdefault(term, word)
            terms = self.expand(stems)
            if terms:
                sentences.append(terms)
        return sentences, surfaces

    def expand(self, stems: Sequence[str]) -> list[str]:
        """Replace synonym phrases (longest first) by their group's first item.

        Repeated until nothing changes, so a phrase built on another one is found too:
        "take away the EHC plan" reads "EHC plan" as "ehcp" first, then the whole.
        """
        current = list(stems)
        for _ in range(3):
            expanded = self._expand_once(current)
            if expanded == current:
                break
            current = expanded
        return current

    def _expand_once(self, stems: Sequence[str]) -> list[str]:
        return _replace_phrases(stems, self._phrases, self._phrase_starts)

    def canonical_terms(self) -> frozenset[str]:
        """Terms that stand for a whole synonym group."""
        return self._canonical_terms

    def everyday(self, term: str, surfaces: Mapping[str, str]) -> float:
        """How common in everyday English (Zipf) the words a question's term came from are.

        `surfaces` maps a term to the word the parent typed (`sentences_and_surfaces`). A
        term that stands for a synonym group is at least as common as the group
        (`_note_frequency`: "headteacher" as "principal", "ehcp" as "ehcp"), and a stem
        as its most common known form ("appealed" as "appeal").
        """
        typed = surfaces.get(term)
        return max(
            zipf(typed if typed is not None else term),
            self._canonical_zipf.get(term, 0.0),
            self._stem_zipf.get(term, 0.0),
        )


def _longest_from(phrases: Mapping[tuple[str, ...], object]) -> dict[str, int]:
    """For each word that begins a phrase, the length of the longest phrase it begins."""
    found: dict[str, int] = {}
    for key in phrases:
        found[key[0]] = max(found.get(key[0], 0), len(key))
    return found


def _replace_phrases(
    words: Sequence[str],
    phrases: Mapping[tuple[str, ...], tuple[str, ...]],
    longest_from: Mapping[str, int],
) -> list[str]:
    """Replace each phrase found, longest first and left to right, by what it maps to.

    `longest_from` (`_longest_from(phrases)`) skips a word that begins no phrase at once.
    """
    out: list[str] = []
    i = 0
    n = len(words)
    while i < n:
        for size in range(min(longest_from.get(words[i], 0), n - i), 0, -1):
            replacement = phrases.get(tuple(words[i : i + size]))
            if replacement is not None:
                out.extend(replacement)
                i += size
                break
        else:
            out.append(words[i])
            i += 1
    return out


@lru_cache(maxsize=8)
def _cached_table(path: str) -> SynonymTable:
    return SynonymTable.load(Path(path))


def bundled_synonyms() -> SynonymTable:
    """The synonyms shipped with the code."""
    path = bundled_knowledge_dir() / DEFAULT_SYNONYMS
    return _cached_table(str(path)) if path.is_file() else SynonymTable()


def vocabulary_of(texts: Iterable[str]) -> set[str]:
    """Every normalised word in some texts."""
    found: set[str] = set()
    for text in texts:
        found.update(normalise(text).split())
    return found
