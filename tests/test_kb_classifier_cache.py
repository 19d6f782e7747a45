"""The fitted intent classifier kept on disk, keyed by what it learns from."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sendbot.config import bundled_knowledge_dir
from sendbot.kb.classifier import ClassifierSettings, TrainingSet, training_set
from sendbot.kb.classifier_cache import cache_path, load, load_or_fit, save
from sendbot.kb.loader import load_knowledge
from sendbot.kb.off_topic import OffTopics

QUESTIONS = ("how long does an ehcp take", "my bin was missed", "", "sencoo wont reply")


@pytest.fixture(scope="module")
def data() -> TrainingSet:
    kb = load_knowledge(bundled_knowledge_dir(), "bristol")
    return training_set(kb, OffTopics.for_knowledge(kb.root), ClassifierSettings())


def test_a_second_start_loads_the_same_model(data: TrainingSet, tmp_path: Path) -> None:
    settings = ClassifierSettings()
    fitted, hit = load_or_fit(data, settings, tmp_path)
    loaded, hit_again = load_or_fit(data, settings, tmp_path)
    assert (hit, hit_again) == (False, True)
    assert loaded.classes == fitted.classes and loaded.temperature == fitted.temperature
    for question in QUESTIONS:
        assert np.allclose(loaded.probabilities(question), fitted.probabilities(question))
    assert list(tmp_path.iterdir()) == [cache_path(tmp_path, data.digest(settings))]


def test_changed_phrasings_are_fitted_again(data: TrainingSet, tmp_path: Path) -> None:
    settings = ClassifierSettings()
    load_or_fit(data, settings, tmp_path)
    changed = replace(data, texts=(*data.texts[:-1], "how do i get a blue badge"))
    _, hit = load_or_fit(changed, settings, tmp_path)
    assert not hit
    assert len(list(tmp_path.glob("intent-*.npz"))) == 2


def test_centroid_models_round_trip(data: TrainingSet, tmp_path: Path) -> None:
    settings = replace(ClassifierSettings(), max_softmax_classes=1)
    fitted, _ = load_or_fit(data, settings, tmp_path)
    loaded, hit = load_or_fit(data, settings, tmp_path)
    assert hit and loaded.kind == fitted.kind == "centroid"
    for question in QUESTIONS:
        assert np.allclose(loaded.probabilities(question), fitted.probabilities(question))


def test_a_damaged_or_foreign_file_is_never_used(data: TrainingSet, tmp_path: Path) -> None:
    settings = ClassifierSettings()
    digest = data.digest(settings)
    path = cache_path(tmp_path, digest)
    path.write_bytes(b"not a model")
    assert load(path, digest) is None
    model, hit = load_or_fit(data, settings, tmp_path)
    assert not hit and load(path, digest) is not None
    # A file saved for another digest under this name is refused too.
    save(model, "another", path)
    assert load(path, digest) is None


def test_an_unwritable_folder_still_gives_a_model(data: TrainingSet, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    model, hit = load_or_fit(data, ClassifierSettings(), blocked / "cache")
    assert not hit and model.classes
