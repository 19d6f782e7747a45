"""The learned intent classifier: trained on the knowledge base's own phrasings."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sendbot.config import bundled_knowledge_dir
from sendbot.kb import classifier
from sendbot.kb.classifier import OUT_OF_SCOPE, ClassifierSettings, IntentModel, fit, training_set
from sendbot.kb.loader import KnowledgeBase, load_knowledge
from sendbot.kb.off_topic import OffTopics


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(bundled_knowledge_dir(), "bristol")


@pytest.fixture(scope="module")
def model(kb: KnowledgeBase) -> IntentModel:
    settings = ClassifierSettings()
    return fit(training_set(kb, OffTopics.for_knowledge(kb.root), settings), settings)


def test_it_learns_every_entry_and_an_out_of_scope_class(
    kb: KnowledgeBase, model: IntentModel
) -> None:
    assert model.kind == "logistic"
    assert set(model.classes) == {*kb.entries, OUT_OF_SCOPE}
    assert model.temperature > 0


def test_probabilities_are_a_distribution_favouring_the_entry_taught(
    kb: KnowledgeBase, model: IntentModel
) -> None:
    right = 0
    for entry in kb.entries.values():
        p = model.probabilities(entry.title)
        assert p.shape == (len(model.classes),)
        assert abs(float(p.sum()) - 1.0) < 1e-6
        right += model.classes[int(np.argmax(p))] == entry.id
    assert right >= 0.9 * len(kb.entries)


def test_an_off_topic_subject_goes_to_the_out_of_scope_class(model: IntentModel) -> None:
    p = model.probabilities("my bin was missed this week")
    assert model.classes[int(np.argmax(p))] == OUT_OF_SCOPE


def test_a_question_with_no_known_feature_is_still_answered_with_a_distribution(
    model: IntentModel,
) -> None:
    p = model.probabilities("")
    assert abs(float(p.sum()) - 1.0) < 1e-6


def test_large_knowledge_bases_use_centroids(kb: KnowledgeBase) -> None:
    settings = replace(ClassifierSettings(), max_softmax_classes=1)
    model = fit(training_set(kb, None, settings), settings)
    assert model.kind == "centroid"
    entry = next(iter(kb.entries.values()))
    assert model.classes[int(np.argmax(model.probabilities(entry.title)))] == entry.id


def test_the_digest_changes_with_the_phrasings(kb: KnowledgeBase) -> None:
    settings = ClassifierSettings()
    data = training_set(kb, None, settings)
    changed = replace(data, texts=(*data.texts[:-1], "something else"))
    assert data.digest(settings) != changed.digest(settings)
    assert data.digest(settings) == training_set(kb, None, settings).digest(settings)


def test_the_training_features_are_the_ones_a_question_is_scored_with(
    kb: KnowledgeBase, model: IntentModel
) -> None:
    """The temperature is chosen from the training matrix: its rows must match query time."""
    settings = ClassifierSettings()
    data = training_set(kb, OffTopics.for_knowledge(kb.root), settings)
    x = classifier._vectorise(data, settings).x
    for row in range(0, len(data.texts), 97):
        logits = np.asarray(x[row] @ model.weights).ravel() + model.bias
        by_matrix = np.exp(logits / model.temperature - np.max(logits / model.temperature))
        by_matrix /= by_matrix.sum()
        assert np.allclose(by_matrix, model.probabilities(data.texts[row]), atol=1e-5)


def test_fitting_the_same_knowledge_twice_gives_the_same_model(kb: KnowledgeBase) -> None:
    settings = ClassifierSettings()
    data = training_set(kb, OffTopics.for_knowledge(kb.root), settings)
    first, second = fit(data, settings), fit(data, settings)
    assert first.temperature == second.temperature
    assert np.array_equal(np.asarray(first.weights), np.asarray(second.weights))


def test_a_reading_adds_each_index_term_marked_and_the_character_grams_skip_them() -> None:
    read = classifier.with_terms(lambda text: ["ehcp", "late"])
    mark = classifier.TERM_MARK
    assert read("my EHC plan is late") == f"my EHC plan is late {mark}ehcp {mark}late"
    assert classifier.typed_part(f"my plan {mark}ehcp {mark}late") == "my plan"
    assert classifier.typed_part("my plan") == "my plan"
    assert classifier.plain("my plan") == "my plan"


def test_the_served_classifier_reads_synonyms_as_one_feature(kb: KnowledgeBase) -> None:
    from sendbot.kb.engine import build_engine

    engine = build_engine(kb, None)[0]
    (voter,) = engine.voters
    mark = classifier.TERM_MARK
    # An old name and the new one read as the same term, which the model has learnt.
    for typed in ("statement of special educational needs", "EHC plan", "ehcp"):
        assert f"{mark}ehcp" in voter.reader(typed).split()  # type: ignore[attr-defined]
    data = training_set(kb, None, ClassifierSettings())
    read = data.read(voter.reader)  # type: ignore[attr-defined]
    assert read.labels == data.labels and read.texts != data.texts
    assert read.digest(ClassifierSettings()) != data.digest(ClassifierSettings())
    # Turned off, the classifier reads the text alone.
    plain_engine = build_engine(kb, None, settings=ClassifierSettings(terms=False))[0]
    assert plain_engine.voters[0].reader("ehcp") == "ehcp"  # type: ignore[attr-defined]
