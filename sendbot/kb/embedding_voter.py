"""Sentence embeddings (all-MiniLM-L6-v2, the optional `embeddings` extra) as a third voter.

It embeds the same texts the intent classifier learns from (titles, phrasings and the
off-topic subjects' questions) and votes for the owner of the text nearest a question
(cosine similarity), or out of scope when that is an off-topic question. The text
embeddings are kept beside the classifier's cache, keyed by the same digest.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from sendbot.kb.baselines import embeddings_available, encode, load_minilm
from sendbot.kb.classifier import OUT_OF_SCOPE, ClassifierSettings, TrainingSet
from sendbot.kb.decision import Vote

log = logging.getLogger(__name__)


class EmbeddingVoter:
    """The nearest phrasing's owner by sentence embedding, and that cosine similarity."""

    name = "minilm"

    def __init__(self, data: TrainingSet, folder: Path | None = None) -> None:
        self._model = load_minilm()
        self._labels = list(data.labels)
        self._matrix = self._vectors(data, folder)

    def _vectors(self, data: TrainingSet, folder: Path | None) -> np.ndarray:
        """The training texts' embeddings, from the cache when they are there."""
        path = None
        if folder is not None:
            digest = data.digest(ClassifierSettings())
            path = folder / f"minilm-{digest[:40]}.npy"
            try:
                found = np.load(path, allow_pickle=False)
                if found.shape[0] == len(data.texts):
                    return np.asarray(found, dtype=np.float32)
            except (OSError, ValueError):
                pass
        matrix = encode(self._model, data.texts)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, matrix, allow_pickle=False)
            except OSError as error:
                log.warning("embedding cache not written: %s", type(error).__name__)
        return matrix

    def vote(self, question: str) -> Vote:
        """The owner of the nearest text (None for an off-topic one) and the similarity."""
        if not question.strip() or not len(self._labels):
            return Vote(None, 0.0)
        scores = self._matrix @ encode(self._model, [question])[0]
        best = int(np.argmax(scores))
        label = self._labels[best]
        return Vote(None if label == OUT_OF_SCOPE else label, float(scores[best]))


def embedding_voter(data: TrainingSet, folder: Path | None) -> EmbeddingVoter | None:
    """The embedding voter when the optional extra is installed, else None."""
    if embeddings_available() is not None:
        return None
    return EmbeddingVoter(data, folder)
