"""What the core needs to do its work, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from sendbot.clock import Clock, system_clock
from sendbot.config import Settings
from sendbot.core.keyring import Keyring
from sendbot.kb.classifier_cache import default_cache_dir
from sendbot.kb.engine import build_engine
from sendbot.kb.letters import LetterTemplate, load_letters
from sendbot.kb.loader import KnowledgeBase, load_knowledge
from sendbot.kb.retrieval import Retriever
from sendbot.kb.texts import Texts


@dataclass
class Services:
    """The knowledge base, sentences, question engine, keys and clock."""

    settings: Settings
    kb: KnowledgeBase
    texts: Texts
    retriever: Retriever
    keyring: Keyring
    clock: Clock = system_clock
    # Letter templates by the time limit they answer (knowledge/letters/).
    letters: dict[str, LetterTemplate] = field(default_factory=dict)


def build_services(settings: Settings, keyring: Keyring, clock: Clock = system_clock) -> Services:
    """Load the knowledge base and sentences for the configured council."""
    kb = load_knowledge(settings.knowledge_dir, settings.council)
    texts = Texts.load(settings.knowledge_dir / "messages.yaml")
    retriever, _ = build_engine(
        kb, settings.cache_dir or default_cache_dir(), embeddings=settings.embedding_voter
    )
    return Services(
        settings=settings,
        kb=kb,
        texts=texts,
        retriever=retriever,
        keyring=keyring,
        clock=clock,
        letters=load_letters(settings.knowledge_dir),
    )
