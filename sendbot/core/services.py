"""What the core needs to do its work, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from sendbot.clock import Clock, system_clock
from sendbot.config import Settings
from sendbot.core.keyring import Keyring
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


def build_services(settings: Settings, keyring: Keyring, clock: Clock = system_clock) -> Services:
    """Load the knowledge base and sentences for the configured council."""
    kb = load_knowledge(settings.knowledge_dir, settings.council)
    texts = Texts.load(settings.knowledge_dir / "messages.yaml")
    return Services(
        settings=settings,
        kb=kb,
        texts=texts,
        retriever=Retriever(kb),
        keyring=keyring,
        clock=clock,
    )
