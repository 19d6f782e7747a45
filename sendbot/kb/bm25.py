"""An inverted index over one kind of document, with precomputed BM25 weights."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class Field:
    """An inverted index over one kind of document, with precomputed BM25 weights."""

    postings: dict[str, tuple[np.ndarray, np.ndarray]]
    idf: dict[str, float]
    size: int
    max_idf: float

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], k1: float, b: float) -> Field:
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

    def scores(self, terms: Sequence[str], weights: Mapping[str, float]) -> np.ndarray:
        """BM25 of every document for a set of distinct terms, each term weighted."""
        total = np.zeros(self.size, dtype=np.float64)
        for term in terms:
            posting = self.postings.get(term)
            if posting is not None:
                total[posting[0]] += weights.get(term, 1.0) * posting[1]
        return total

    def ceiling(
        self,
        terms: Sequence[str],
        weights: Mapping[str, float],
        unknown: Mapping[str, float],
        cap: float,
    ) -> float:
        """The most a question could score: the sum of its terms' weights, capped.

        `unknown` gives, for a term this field never uses, its weight as a share of the
        rarest term's weight; `cap` is the most the sum may be, in the same units.
        """
        total = sum(
            weights.get(t, 1.0) * self.idf[t]
            if t in self.idf
            else self.max_idf * unknown.get(t, 1.0)
            for t in terms
        )
        return min(total, cap * self.max_idf)
