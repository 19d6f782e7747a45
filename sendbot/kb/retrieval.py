"""Question answering over the knowledge base: ranking and the three outcomes.

How a question is matched (see README "How questions are answered"):

1. The question and every entry go through the same analyser (`synonyms.Analyser`):
   normalised, typos repaired against the knowledge base's own words, small words
   dropped, endings trimmed, synonyms and abbreviations read as one term.
2. Three BM25 scores are computed from a hand-written inverted index, each divided
   by the most the question could score (the sum of its terms' weights), so each lies
   roughly between 0 and 1 and says how much of the question an entry explains:
   - `phrasing`: the best single phrasing (or the title) of the entry;
   - `entry`: all the entry's phrasings and its title together;
   - `body`: the answer text.
3. The confidence of an entry is a weighted sum of the three, plus a small bonus for
   fuzzy (rapidfuzz) similarity to its best phrasing among the top candidates.
4. The outcome comes from two calibrated thresholds and a margin: answer when the top
   entry is clearly good and clearly ahead; "did you mean" when it is plausible; fall
   back (say so plainly and offer a person) otherwise.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
from rapidfuzz import fuzz

from sendbot.kb.loader import Entry, KnowledgeBase
from sendbot.kb.normalise import normalise
from sendbot.kb.synonyms import Analyser, SynonymTable

Outcome = Literal["answer", "clarify", "fallback"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry and how well it matches."""

    entry: str
    score: float


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """What the engine decided for one question."""

    outcome: Outcome
    entry: str | None
    score: float
    candidates: list[Candidate] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The shape `sendbot ask --json` prints."""
        return {
            "outcome": self.outcome,
            "entry": self.entry,
            "score": round(self.score, 4),
            "candidates": [{"entry": c.entry, "score": round(c.score, 4)} for c in self.candidates],
        }


@dataclass(frozen=True)
class Tuning:
    """Every number the engine uses; the defaults are the calibrated ones."""

    k1: float = 1.2
    b: float = 0.75
    w_phrasing: float = 0.5
    w_entry: float = 0.3
    w_body: float = 0.2
    w_fuzzy: float = 0.0
    fuzzy_top: int = 8
    answer_threshold: float = 0.55
    clarify_threshold: float = 0.30
    answer_margin: float = 0.05
    # Weight of a question word the knowledge base never uses, as a share of the
    # rarest known word's weight: unknown words make a question less likely in scope.
    unknown_weight: float = 1.0
    typo_repair: bool = True


@dataclass
class _Field:
    """An inverted index over one kind of document, with precomputed BM25 weights."""

    postings: dict[str, tuple[np.ndarray, np.ndarray]]
    idf: dict[str, float]
    size: int
    max_idf: float

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], k1: float, b: float) -> _Field:
        n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        average = float(lengths.mean()) if n and lengths.sum() else 1.0
        frequency: Counter[str] = Counter()
        counts = [Counter(d) for d in docs]
        for c in counts:
            frequency.update(c.keys())
        idf = {t: math.log(1.0 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}
        rows: dict[str, list[int]] = {}
        values: dict[str, list[float]] = {}
        for index, c in enumerate(counts):
            norm = k1 * (1.0 - b + b * lengths[index] / average)
            for term, tf in c.items():
                weight = idf[term] * tf * (k1 + 1.0) / (tf + norm)
                rows.setdefault(term, []).append(index)
                values.setdefault(term, []).append(weight)
        postings = {
            t: (np.array(rows[t], dtype=np.int64), np.array(values[t], dtype=np.float64))
            for t in rows
        }
        max_idf = math.log(1.0 + (n - 1 + 0.5) / 1.5) if n else 1.0
        return cls(postings=postings, idf=idf, size=n, max_idf=max_idf)

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 of every document for a set of distinct terms."""
        total = np.zeros(self.size, dtype=np.float64)
        for term in terms:
            posting = self.postings.get(term)
            if posting is not None:
                total[posting[0]] += posting[1]
        return total

    def ceiling(self, terms: Sequence[str], unknown_weight: float) -> float:
        """The most a question could score: the sum of its terms' weights."""
        return sum(self.idf.get(t, self.max_idf * unknown_weight) for t in terms)


class Retriever:
    """Ranks entries for a question and decides whether to answer, clarify or fall back."""

    def __init__(
        self,
        kb: KnowledgeBase,
        tuning: Tuning | None = None,
        synonyms: SynonymTable | None = None,
    ) -> None:
        self.kb = kb
        self.tuning = tuning or Tuning()
        root = getattr(kb, "root", None)
        self.synonyms = synonyms or SynonymTable.for_knowledge(Path(root) if root else None)
        entries = list(kb.entries.values())
        self._ids = [e.id for e in entries]
        normalised = {text: normalise(text) for text in _texts(entries)}
        self._vocabulary = frozenset(w for text in normalised.values() for w in text.split())
        self.analyser = Analyser(
            self.synonyms,
            vocabulary=set(self._vocabulary),
            typo_repair=self.tuning.typo_repair,
        )
        self._build(entries, normalised)

    # -- index -----------------------------------------------------------------------

    def _build(self, entries: Sequence[Entry], normalised: dict[str, str]) -> None:
        t = self.tuning

        def terms(text: str) -> list[str]:
            return self.analyser.terms_of_normalised(normalised[text])

        phrasings: list[list[str]] = []
        self._phrasing_text: list[str] = []
        starts: list[int] = []
        entry_docs: list[list[str]] = []
        body_docs: list[list[str]] = []
        for entry in entries:
            starts.append(len(phrasings))
            own: list[str] = []
            for text in (entry.title, *entry.questions):
                analysed = terms(text)
                phrasings.append(analysed)
                self._phrasing_text.append(" ".join(analysed))
                own.extend(analysed)
            entry_docs.append(own)
            body_docs.append(terms(entry.body))
        self._starts = np.array(starts, dtype=np.int64)
        self._phrasing_owner = np.repeat(
            np.arange(len(entries)), np.diff(np.append(self._starts, len(phrasings)))
        )
        self._phrasings = _Field.build(phrasings, t.k1, t.b)
        self._entries = _Field.build(entry_docs, t.k1, t.b)
        self._bodies = _Field.build(body_docs, t.k1, t.b)

    # -- scoring -----------------------------------------------------------------------

    def features(self, question: str) -> tuple[list[str], dict[str, np.ndarray]]:
        """The question's terms and each entry's normalised score on each field."""
        t = self.tuning
        query = list(dict.fromkeys(self.analyser.terms(question)))
        n = len(self._ids)
        if not query or not n:
            zero = np.zeros(n)
            return query, {"phrasing": zero, "entry": zero, "body": zero}
        phr = self._phrasings.scores(query)
        best_phrasing = np.maximum.reduceat(phr, self._starts) if phr.size else np.zeros(n)
        found = {
            "phrasing": best_phrasing / max(self._phrasings.ceiling(query, t.unknown_weight), 1e-9),
            "entry": self._entries.scores(query)
            / max(self._entries.ceiling(query, t.unknown_weight), 1e-9),
            "body": self._bodies.scores(query)
            / max(self._bodies.ceiling(query, t.unknown_weight), 1e-9),
        }
        return query, found

    def rank(self, question: str, limit: int = 10) -> list[Candidate]:
        """Entries best first with their confidence, at most `limit`."""
        t = self.tuning
        query, found = self.features(question)
        if not query or not self._ids:
            return []
        score = (
            t.w_phrasing * np.minimum(found["phrasing"], 1.0)
            + t.w_entry * np.minimum(found["entry"], 1.0)
            + t.w_body * np.minimum(found["body"], 1.0)
        )
        if t.w_fuzzy:
            score = self._fuzzy(query, score)
        top = min(limit, len(score))
        order = np.argpartition(-score, top - 1)[:top] if top < len(score) else np.arange(top)
        order = order[np.argsort(-score[order], kind="stable")]
        return [Candidate(self._ids[i], float(score[i])) for i in order if score[i] > 0]

    def _fuzzy(self, query: Sequence[str], score: np.ndarray) -> np.ndarray:
        """Add fuzzy similarity to the best phrasing, for the leading entries only."""
        t = self.tuning
        k = min(t.fuzzy_top, len(score))
        lead = np.argpartition(-score, k - 1)[:k]
        text = " ".join(query)
        boosted = score * (1.0 - t.w_fuzzy)
        ends = np.append(self._starts[1:], len(self._phrasing_text))
        for i in lead:
            best = max(
                fuzz.token_set_ratio(text, self._phrasing_text[j])
                for j in range(int(self._starts[i]), int(ends[i]))
            )
            boosted[i] += t.w_fuzzy * best / 100.0
        return boosted

    def decide(self, candidates: list[Candidate], limit: int = 3) -> AnswerResult:
        """Choose answer, clarify or fallback from ranked candidates."""
        t = self.tuning
        shown = candidates[:limit]
        if not candidates:
            return AnswerResult("fallback", None, 0.0, [])
        top = candidates[0].score
        second = candidates[1].score if len(candidates) > 1 else 0.0
        if top >= t.answer_threshold and top - second >= t.answer_margin:
            return AnswerResult("answer", candidates[0].entry, top, shown)
        if top >= t.clarify_threshold:
            return AnswerResult("clarify", None, top, shown)
        return AnswerResult("fallback", None, top, shown)

    def ask(self, question: str, limit: int = 3) -> AnswerResult:
        """Rank entries for a question and choose answer, clarify or fallback."""
        return self.decide(self.rank(question, limit=max(limit, 2)), limit)

    def known_words(self) -> frozenset[str]:
        """Every normalised word the knowledge base uses (never a name, for redaction)."""
        return self._vocabulary

    def with_tuning(self, **changes: object) -> Retriever:
        """A retriever over the same knowledge with some numbers changed."""
        return Retriever(self.kb, replace(self.tuning, **changes), self.synonyms)  # type: ignore[arg-type]


def _texts(entries: Sequence[Entry]) -> list[str]:
    """Every text of some entries: titles, phrasings and answers."""
    found: list[str] = []
    for entry in entries:
        found.extend((entry.title, *entry.questions, entry.body))
    return found
