"""Time redaction over 1,000 messages: `python -m tests.redaction_bench` (not a test)."""

from __future__ import annotations

import json
import random
import statistics
import time
from pathlib import Path

from sendbot.core.redaction import redact
from sendbot.kb.loader import load_knowledge
from sendbot.kb.retrieval import Retriever

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = [
    "I am {first} {last}, call me on {phone} about my son's EHCP",
    "my name is {first}, email {first} dot {last} at gmail dot com please",
    "Hi this is {first} {last} from {n} elm road {postcode}, the SENCO at Oakwood Primary "
    "ignored me for 20 weeks",
    "{first}'s DOB is 03/05/2015 and the council still have not replied, ring {phone}",
    "It's {first} again. We live at flat {n}, {n} station road. {first} is upset.",
]
FIRSTS = ["sarah", "Oliver", "PRIYA", "Jack", "siobhán", "Mohammed", "Zoe"]
LASTS = ["jones", "Smith", "PATEL", "Brown", "O'Neill"]
PHONES = ["07700 900123", "O7700 9OO123", "07700.900.123", "+44 (0)117 496 0000", "0117-496-0000"]


def corpus(size: int = 1000) -> list[str]:
    """The knowledge base's evaluation questions, then messages full of personal data."""
    lines = (ROOT / "tests/data/eval.jsonl").read_text().splitlines()
    lines += (ROOT / "tests/data/blind.jsonl").read_text().splitlines()
    texts = [json.loads(line)["q"] for line in lines if line.strip()]
    rng = random.Random(21)
    while len(texts) < size:
        template = rng.choice(TEMPLATES)
        texts.append(
            template.format(
                first=rng.choice(FIRSTS),
                last=rng.choice(LASTS),
                phone=rng.choice(PHONES),
                n=rng.randint(1, 200),
                postcode=rng.choice(["BS1 5TR", "bs16 1qy", "SW1A 1AA"]),
            )
        )
    return texts[:size]


def main() -> None:
    """Print the time per message, best of five passes over the corpus."""
    known = Retriever(load_knowledge(ROOT / "knowledge")).known_words()
    texts = corpus()
    for text in texts[:20]:  # load whatever is loaded lazily
        redact(text, known)
    passes = []
    for _ in range(5):
        start = time.perf_counter()
        for text in texts:
            redact(text, known)
        passes.append(time.perf_counter() - start)
    best, median = min(passes), statistics.median(passes)
    print(f"{len(texts)} messages: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms")
    print(f"per message: {best / len(texts) * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
