"""The question engine as the bot runs it: the lexical ranking plus its learned voters.

`build_engine` loads (or fits and caches) the intent classifier for the knowledge base
and, where the optional `embeddings` extra is installed and wanted, the sentence-
embedding voter, and hands them to a `Retriever`. `Retriever(kb)` alone is the lexical
engine, kept as the baseline every report measures beside it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sendbot.kb.classifier import ClassifierSettings, Reader, plain, training_set, with_terms
from sendbot.kb.classifier_cache import load_or_fit
from sendbot.kb.decision import DecisionTuning, IntentVoter, Voter
from sendbot.kb.loader import KnowledgeBase
from sendbot.kb.retrieval import Retriever


@dataclass(frozen=True)
class BuildInfo:
    """How the engine's voters were made: seconds, and whether the classifier was cached."""

    classifier_s: float
    cache_hit: bool
    voters: tuple[str, ...]


def build_engine(
    kb: KnowledgeBase,
    cache_dir: Path | None,
    *,
    embeddings: bool = False,
    decision: DecisionTuning | None = None,
    settings: ClassifierSettings | None = None,
) -> tuple[Retriever, BuildInfo]:
    """The lexical engine with the intent classifier, and sentence embeddings if asked for."""
    lexical = Retriever(kb)
    chosen = settings or ClassifierSettings()
    data = training_set(kb, lexical.off_topics, chosen)
    reader = classifier_reader(lexical, chosen)
    start = time.perf_counter()
    model, hit = load_or_fit(data.read(reader), chosen, cache_dir)
    seconds = time.perf_counter() - start
    voters: list[Voter] = [IntentVoter(model, reader)]
    if embeddings:
        from sendbot.kb.embedding_voter import embedding_voter

        found = embedding_voter(data, cache_dir)
        if found is not None:
            voters.append(found)
    engine = lexical.with_voters(voters, decision)
    return engine, BuildInfo(seconds, hit, tuple(v.name for v in voters))


def classifier_reader(lexical: Retriever, settings: ClassifierSettings) -> Reader:
    """How the intent classifier reads a text: with the lexical analyser's index terms."""
    return with_terms(lexical.index_terms) if settings.terms else plain
