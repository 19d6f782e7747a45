"""The fitted intent classifier kept on disk, keyed by a hash of what it learns from.

A process that starts with the same knowledge files (same phrasings, titles, off-topic
questions, settings and scikit-learn version: `TrainingSet.digest`) loads the fitted
arrays instead of fitting again. The file is NumPy's `.npz` read with pickling refused,
written to a temporary name and renamed into place, so processes starting together
never read half a file; one that cannot read or write the folder fits in memory.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
from scipy import sparse

from sendbot.kb.classifier import (
    FORMAT_VERSION,
    ClassifierSettings,
    IntentModel,
    TrainingSet,
    fit,
)

log = logging.getLogger(__name__)
PREFIX = "intent-"


def default_cache_dir() -> Path:
    """The user's cache folder for sendbot ($XDG_CACHE_HOME/sendbot or ~/.cache/sendbot)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sendbot"


def cache_path(folder: Path, digest: str) -> Path:
    """Where the model fitted on a training set with this digest is kept."""
    return folder / f"{PREFIX}{digest[:40]}.npz"


def save(model: IntentModel, digest: str, path: Path) -> None:
    """Write a fitted model atomically (a temporary file renamed into place)."""
    meta = {
        "v": FORMAT_VERSION,
        "digest": digest,
        "kind": model.kind,
        "classes": model.classes,
        "temperature": model.temperature,
        "settings": asdict(model.settings),
    }
    arrays: dict[str, np.ndarray] = {
        "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        "word_vocab": _ordered(model.word_vocab),
        "word_idf": model.word_idf,
        "char_vocab": _ordered(model.char_vocab),
        "char_idf": model.char_idf,
        "bias": model.bias,
    }
    if sparse.issparse(model.weights):
        matrix = sparse.csr_matrix(model.weights)
        arrays.update(
            w_data=matrix.data,
            w_indices=matrix.indices,
            w_indptr=matrix.indptr,
            w_shape=np.array(matrix.shape, dtype=np.int64),
        )
    else:
        arrays["weights"] = np.asarray(model.weights)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **arrays)  # type: ignore[arg-type]
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: Path, digest: str) -> IntentModel | None:
    """A model saved for this digest, or None when there is none or it cannot be read."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if meta.get("v") != FORMAT_VERSION or meta.get("digest") != digest:
                return None
            if "weights" in data:
                weights: np.ndarray | sparse.csr_matrix = data["weights"]
            else:
                shape = tuple(int(n) for n in data["w_shape"])
                weights = sparse.csr_matrix(
                    (data["w_data"], data["w_indices"], data["w_indptr"]), shape=shape
                )
            return IntentModel(
                kind=meta["kind"],
                classes=list(meta["classes"]),
                word_vocab={str(w): i for i, w in enumerate(data["word_vocab"])},
                word_idf=data["word_idf"],
                char_vocab={str(w): i for i, w in enumerate(data["char_vocab"])},
                char_idf=data["char_idf"],
                weights=weights,
                bias=data["bias"],
                temperature=float(meta["temperature"]),
                settings=ClassifierSettings(**meta["settings"]),
            )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("intent classifier cache unreadable, fitting again: %s", type(error).__name__)
        return None


def load_or_fit(
    data: TrainingSet, settings: ClassifierSettings, folder: Path | None
) -> tuple[IntentModel, bool]:
    """The model for a training set, from the cache when it is there; True when it was."""
    if folder is None:
        return fit(data, settings), False
    digest = data.digest(settings)
    path = cache_path(folder, digest)
    cached = load(path, digest)
    if cached is not None:
        return cached, True
    model = fit(data, settings)
    try:
        save(model, digest, path)
        _prune(folder, keep=path)
    except OSError as error:
        log.warning("intent classifier cache not written: %s", type(error).__name__)
    return model, False


def _ordered(vocab: dict[str, int]) -> np.ndarray:
    """A vocabulary as its words in index order."""
    words = [""] * len(vocab)
    for word, index in vocab.items():
        words[index] = word
    return np.array(words, dtype=np.str_)


def _prune(folder: Path, keep: Path, kept: int = 8) -> None:
    """Remove all but the newest few cached models (each knowledge change leaves one)."""
    found = sorted(folder.glob(f"{PREFIX}*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in found if p != keep][kept - 1 :]:
        old.unlink(missing_ok=True)
