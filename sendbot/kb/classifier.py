"""A learned intent classifier: the second signal beside the lexical ranking.

It learns from the knowledge base's own phrasings and titles (a council's entry keeps
the phrasings of the national one it replaces), with the off-topic subjects as one more
class, `OUT_OF_SCOPE`. Features are word and character 4-gram (within words)
TF-IDF of the normalised text, each block scaled to unit length. The text is a *reading*
(`Reader`): by default the words as typed followed by the lexical analyser's index terms,
each marked with `TERM_MARK` (`with_terms`: typos repaired, synonyms read as their group's
first item), so "statement" and "ehcp" teach the same feature. Nothing of the lexical
score (BM25 fields, rapidfuzz, thresholds) is shared, so the two signals still err
differently; reading the terms too raised right answers on the held-out halves by about
a point in December 2026 (`ClassifierSettings.terms` turns it off).

Up to `ClassifierSettings.max_softmax_classes` classes the model is a multinomial
logistic regression (scikit-learn); its probabilities are calibrated by a temperature
fitted on one phrasing per entry held out of a first fit; that fit is then continued
for a few passes over every phrasing, which costs a fraction of a second fit. Beyond
that size a softmax is too slow to train in seconds, so the model is the TF-IDF centroid
of each class with a softmax over cosine similarity, calibrated the same way.
`kind` says which one is in use.

Query time does not go through scikit-learn: the fitted vocabulary, idf and weights are
plain arrays, so one question costs a few dictionary look-ups and a small matrix product.
`TrainingSet.digest` hashes what the model learns from, the key of `classifier_cache`.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy import sparse

from sendbot.kb.loader import KnowledgeBase
from sendbot.kb.normalise import normalise
from sendbot.kb.off_topic import OffTopics

OUT_OF_SCOPE = "_out_of_scope"
FORMAT_VERSION = 3
# Marks an index term in a reading, so that it never counts as a word typed the same.
TERM_MARK = "qq"
# Turns a question (or a phrasing) into the text the classifier reads.
Reader = Callable[[str], str]
Kind = Literal["logistic", "centroid"]
# At most this many held-out phrasings choose the temperature (5,000 entries hold out 5,000).
TEMPERATURE_SAMPLE = 1000


@dataclass(frozen=True)
class ClassifierSettings:
    """Every number of the classifier; the defaults were chosen on the tuning half.

    December 2026, on the held-out halves of tune3-5 and the tuning half of eval.jsonl:
    words alone and character 4-grams answered as many rightly as word pairs and 3-4-grams
    (0.884 against 0.885), fewer wrongly (0.018 against 0.023), in half the fitting time.
    """

    c: float = 20.0
    word_max_n: int = 1
    char_min_n: int = 4
    char_max_n: int = 4
    max_iter: int = 100
    tol: float = 5e-2
    # Passes over every phrasing that continue the held-out fit into the served model.
    continue_epochs: int = 2
    max_softmax_classes: int = 400
    off_topic_class: bool = True
    # Whether a reading adds the lexical analyser's index terms (`with_terms`).
    terms: bool = True


@dataclass(frozen=True)
class TrainingSet:
    """Texts and the class each teaches."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]

    def read(self, reader: Reader) -> TrainingSet:
        """The same set with every text as the classifier reads it."""
        return TrainingSet(tuple(reader(text) for text in self.texts), self.labels)

    def digest(self, settings: ClassifierSettings) -> str:
        """A hash of everything the fitted model depends on."""
        import sklearn

        h = hashlib.sha256()
        header = {"v": FORMAT_VERSION, "sklearn": sklearn.__version__, **asdict(settings)}
        h.update(json.dumps(header, sort_keys=True).encode())
        for text, label in zip(self.texts, self.labels, strict=True):
            h.update(b"\x00" + label.encode() + b"\x01" + text.encode())
        return h.hexdigest()


def plain(text: str) -> str:
    """The reading of a text that adds nothing: the text itself."""
    return text


def with_terms(terms_of: Callable[[str], Sequence[str]]) -> Reader:
    """A reader that adds a text's index terms, each marked with `TERM_MARK`."""

    def read(text: str) -> str:
        return " ".join((text, *(TERM_MARK + term for term in terms_of(text))))

    return read


def typed_part(reading: str) -> str:
    """A normalised reading without its marked terms: what the character n-grams see.

    The terms are whole words already; their n-grams would only cost time.
    """
    cut = reading.find(" " + TERM_MARK)
    return reading if cut < 0 else reading[:cut]


def training_set(
    kb: KnowledgeBase, off_topics: OffTopics | None, settings: ClassifierSettings
) -> TrainingSet:
    """Every entry's title and phrasings, and the off-topic subjects' questions."""
    texts: list[str] = []
    labels: list[str] = []
    for entry in kb.entries.values():
        own = [entry.title, *entry.questions]
        replaced = kb.overridden.get(entry.id)
        if replaced is not None:
            own.extend((replaced.title, *replaced.questions))
        for text in own:
            texts.append(text)
            labels.append(entry.id)
    if settings.off_topic_class and off_topics is not None:
        for topic in off_topics.topics:
            texts.extend(topic.questions)
            labels.extend([OUT_OF_SCOPE] * len(topic.questions))
    return TrainingSet(tuple(texts), tuple(labels))


def _analysers(settings: ClassifierSettings) -> tuple[object, object]:
    """The word and character analysers (unfitted vectorizers: only their tokenising)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(ngram_range=(1, settings.word_max_n), sublinear_tf=True)
    char = TfidfVectorizer(
        analyzer="char_wb",
        preprocessor=typed_part,
        ngram_range=(settings.char_min_n, settings.char_max_n),
        sublinear_tf=True,
    )
    return word, char


@dataclass
class IntentModel:
    """A fitted classifier as plain arrays: vocabularies, idf, weights, bias, temperature."""

    kind: Kind
    classes: list[str]
    word_vocab: dict[str, int]
    word_idf: np.ndarray
    char_vocab: dict[str, int]
    char_idf: np.ndarray
    weights: np.ndarray | sparse.csr_matrix  # features x classes
    bias: np.ndarray
    temperature: float
    settings: ClassifierSettings

    def __post_init__(self) -> None:
        word, char = _analysers(self.settings)
        self._word = word.build_analyzer()  # type: ignore[attr-defined]
        self._char = char.build_analyzer()  # type: ignore[attr-defined]
        self._offset = len(self.word_vocab)
        self._oos = self.classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in self.classes else -1

    def _features(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """The question's feature indices and TF-IDF values, each block of unit length."""
        text = normalise(question)
        indices: list[int] = []
        values: list[float] = []
        for grams, vocab, idf, offset in (
            (self._word(text), self.word_vocab, self.word_idf, 0),
            (self._char(text), self.char_vocab, self.char_idf, self._offset),
        ):
            counts: dict[int, int] = {}
            for gram in grams:
                index = vocab.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            block = [(1.0 + math.log(n)) * float(idf[i]) for i, n in counts.items()]
            norm = math.sqrt(sum(v * v for v in block)) or 1.0
            indices.extend(i + offset for i in counts)
            values.extend(v / norm for v in block)
        return np.array(indices, dtype=np.int64), np.array(values, dtype=np.float64)

    def probabilities(self, question: str) -> np.ndarray:
        """The calibrated probability of every class (the order of `classes`)."""
        indices, values = self._features(question)
        scores = self.bias.astype(np.float64).copy()
        if indices.size:
            rows = self.weights[indices]
            if sparse.issparse(rows):
                scores += np.asarray(rows.T @ values).ravel()
            else:
                scores += values @ rows
        return _softmax(scores / self.temperature)

    def out_of_scope_index(self) -> int:
        """Where the out-of-scope class is in `classes` (-1 when there is none)."""
        return self._oos


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max())
    return np.asarray(shifted / shifted.sum())


def fit(data: TrainingSet, settings: ClassifierSettings) -> IntentModel:
    """Fit the classifier on a training set and calibrate its temperature.

    The vectorizers are fitted once on every text. The model is first fitted without one
    phrasing per entry, whose probabilities then choose the temperature; that fit is then
    continued on every phrasing for `continue_epochs` passes, not fitted again.
    """
    classes = sorted(set(data.labels))
    kind: Kind = "logistic" if len(classes) <= settings.max_softmax_classes else "centroid"
    features = _vectorise(data, settings)
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[label] for label in data.labels], dtype=np.int64)
    held = sorted(_held_out(data.labels)) if len(classes) > 1 else []
    learner = _learner(settings)
    everything = np.arange(len(y))
    temperature = 1.0
    if held:
        keep = np.setdiff1d(everything, held)
        solved = _solve(learner, kind, features, keep, y, len(classes))
        first = features.model(kind, classes, *solved, settings)
        temperature = _temperature(first, features.x[held], y[held])
        learner.set_params(max_iter=settings.continue_epochs)
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        if held:  # the continued fit stops after a few passes on purpose
            warnings.simplefilter("ignore", ConvergenceWarning)
        solved = _solve(learner, kind, features, everything, y, len(classes))
    model = features.model(kind, classes, *solved, settings)
    model.temperature = temperature
    return model


@dataclass(frozen=True)
class _Features:
    """The fitted vectorizers' vocabularies and idf, and the training texts' features."""

    x: sparse.csr_matrix
    word_vocab: dict[str, int]
    word_idf: np.ndarray
    char_vocab: dict[str, int]
    char_idf: np.ndarray

    def model(
        self,
        kind: Kind,
        classes: list[str],
        weights: np.ndarray | sparse.csr_matrix,
        bias: np.ndarray,
        settings: ClassifierSettings,
    ) -> IntentModel:
        """A model over these features."""
        return IntentModel(
            kind=kind,
            classes=classes,
            word_vocab=self.word_vocab,
            word_idf=self.word_idf,
            char_vocab=self.char_vocab,
            char_idf=self.char_idf,
            weights=weights,
            bias=bias,
            temperature=1.0,
            settings=settings,
        )


def _vectorise(data: TrainingSet, settings: ClassifierSettings) -> _Features:
    """Fit the word and character vectorizers on every text."""
    word, char = _analysers(settings)
    texts = [normalise(t) for t in data.texts]
    x_word = word.fit_transform(texts)  # type: ignore[attr-defined]
    x_char = char.fit_transform(texts)  # type: ignore[attr-defined]
    return _Features(
        x=sparse.hstack([x_word, x_char], format="csr").astype(np.float32),
        word_vocab={k: int(v) for k, v in word.vocabulary_.items()},  # type: ignore[attr-defined]
        word_idf=np.asarray(word.idf_, dtype=np.float64),  # type: ignore[attr-defined]
        char_vocab={k: int(v) for k, v in char.vocabulary_.items()},  # type: ignore[attr-defined]
        char_idf=np.asarray(char.idf_, dtype=np.float64),  # type: ignore[attr-defined]
    )


def _held_out(labels: Sequence[str]) -> set[int]:
    """One text of every class that has at least four: the last one listed."""
    last: dict[str, int] = {}
    count: dict[str, int] = {}
    for index, label in enumerate(labels):
        last[label] = index
        count[label] = count.get(label, 0) + 1
    return {i for label, i in last.items() if count[label] >= 4}


def _solve(
    learner: Any,
    kind: Kind,
    features: _Features,
    rows: np.ndarray,
    y: np.ndarray,
    n_classes: int,
) -> tuple[np.ndarray | sparse.csr_matrix, np.ndarray]:
    """Weights and bias learnt from some rows: a logistic regression, or class centroids.

    The learner keeps its weights between calls, so a second fit starts from the first.
    """
    if kind == "centroid":
        return _centroids(features.x[rows], y[rows], n_classes)
    learner.fit(features.x[rows], y[rows])
    return _weights(learner, features.x.shape[1], n_classes)


def _learner(settings: ClassifierSettings) -> Any:
    """A multinomial logistic regression that starts each fit from the last one's weights."""
    from sklearn.linear_model import LogisticRegression

    # saga: on ~1,000 short texts it fits in a fifth of lbfgs's time, and no worse. It
    # visits the rows in a random order: a fixed seed makes every fit of the same knowledge
    # give the same model (without one a borderline question's outcome varied between runs).
    return LogisticRegression(
        C=settings.c,
        max_iter=settings.max_iter,
        tol=settings.tol,
        solver="saga",
        random_state=0,
        warm_start=True,
    )


def _weights(learner: Any, n_features: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """A fitted logistic regression's weights (features x classes) and bias."""
    weights = np.zeros((n_features, n_classes), dtype=np.float32)
    bias = np.full(n_classes, -1e3, dtype=np.float64)  # a class with no text is never chosen
    if len(learner.classes_) == 2:  # scikit-learn keeps one row for two classes
        coef = np.vstack([-learner.coef_[0], learner.coef_[0]]) / 2
        intercept = np.array([-learner.intercept_[0], learner.intercept_[0]]) / 2
    else:
        coef, intercept = learner.coef_, learner.intercept_
    for row, label in enumerate(learner.classes_):
        weights[:, int(label)] = coef[row]
        bias[int(label)] = intercept[row]
    return weights, bias


def _centroids(
    x: sparse.csr_matrix, y: np.ndarray, n_classes: int
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Each class's mean feature vector, of unit length, as sparse weights."""
    members = sparse.csr_matrix(
        (np.ones(len(y)), (y, np.arange(len(y)))), shape=(n_classes, len(y))
    )
    centroids = sparse.csr_matrix(members @ x)
    norms = np.sqrt(np.asarray(centroids.multiply(centroids).sum(axis=1)).ravel())
    centroids = sparse.csr_matrix(sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ centroids)
    return sparse.csr_matrix(centroids.T.astype(np.float32)), np.zeros(n_classes)


def _temperature(model: IntentModel, x: sparse.csr_matrix, truth: np.ndarray) -> float:
    """The temperature that makes held-out texts' classes most likely.

    `x` holds their features and `truth` their classes; at most `TEMPERATURE_SAMPLE`
    of them, evenly spread, are used.
    """
    if x.shape[0] > TEMPERATURE_SAMPLE:
        pick = np.linspace(0, x.shape[0] - 1, TEMPERATURE_SAMPLE).astype(np.int64)
        x, truth = x[pick], truth[pick]
    product = x @ model.weights
    dense = product.toarray() if sparse.issparse(product) else np.asarray(product)
    logits = dense.astype(np.float64) + model.bias
    rows = np.arange(len(truth))

    def loss(log_temperature: float) -> float:
        scaled = logits / math.exp(log_temperature)
        scaled -= scaled.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(scaled).sum(axis=1))
        return float(np.mean(log_norm - scaled[rows, truth]))

    # A smooth search, not a grid: a grid's step made the temperature jump when a phrasing
    # was added, and every "sure" vote near the threshold with it.
    from scipy.optimize import minimize_scalar

    found = minimize_scalar(
        loss, bounds=(math.log(0.02), math.log(20.0)), method="bounded", options={"xatol": 1e-4}
    )
    return float(math.exp(found.x))
