"""Speed of question answering at the real knowledge base and at synthetic sizes.

Synthetic entries are made from the real knowledge base's own words, drawn with their
real frequencies, ten phrasings and a body of about 150 words each, so that the index
has realistic term statistics. Timed questions are real phrasings with one word dropped
and one typo, plus out-of-scope questions. Each size is measured for the engine and for
plain rapidfuzz (WRatio over every phrasing) in the same run, and their ratio reported;
as with `timeit`, the garbage collector is paused while a method is timed. Memory is
the growth of this process's RSS while the engine's index is built, and the process's
peak RSS so far (sizes are measured smallest first, so each peak is its own size's).

The engine timed is the one the bot serves: the lexical ranking with the intent
classifier voting (`kb/engine.py`); the lexical engine alone is timed beside it, on the
same questions. The classifier's build is timed twice into a fresh cache folder: the
fit (wall-clock and this thread's CPU), then a start that finds it in the cache.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from sendbot.bench.memory import peak_rss_mb, rss_mb
from sendbot.kb.baselines import RapidfuzzBaseline
from sendbot.kb.classifier import ClassifierSettings, training_set
from sendbot.kb.classifier_cache import load_or_fit
from sendbot.kb.decision import IntentVoter
from sendbot.kb.engine import classifier_reader
from sendbot.kb.loader import Entry, KnowledgeBase, Source
from sendbot.kb.normalise import normalise
from sendbot.kb.retrieval import Retriever

OUT_OF_SCOPE = [
    "how do i pay my council tax",
    "when are the bins collected",
    "how do i renew a passport",
    "tell me a joke",
    "what's the weather tomorrow",
    "how do i apply for a parking permit",
]


def synthetic_kb(kb: KnowledgeBase, size: int, seed: int = 7) -> KnowledgeBase:
    """The real entries plus synthetic ones up to `size` entries in all."""
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    for entry in kb.entries.values():
        for text in (entry.title, *entry.questions, entry.body):
            counts.update(normalise(text).split())
    words = list(counts)
    weights = [counts[w] for w in words]
    entries = dict(kb.entries)
    source = Source(title="Synthetic benchmark entry", ref="none")

    def sentence(length: int) -> str:
        return " ".join(rng.choices(words, weights=weights, k=length))

    index = 0
    while len(entries) < size:
        index += 1
        entry_id = f"synthetic-{index}"
        entries[entry_id] = Entry(
            id=entry_id,
            title=sentence(rng.randint(3, 8)),
            questions=tuple(sentence(rng.randint(4, 12)) for _ in range(10)),
            related=(),
            sources=(source,),
            reviewed=dt.date(2026, 1, 1),
            tags=(),
            body=sentence(150),
            path=Path(f"{entry_id}.md"),
        )
    return replace(kb, entries=entries)


def bench_questions(kb: KnowledgeBase, count: int, seed: int = 11) -> list[str]:
    """Real phrasings, each with a word dropped and a typo, and some out-of-scope ones."""
    rng = random.Random(seed)
    phrasings = [q for e in kb.entries.values() for q in e.questions]
    questions: list[str] = []
    while len(questions) < count:
        if rng.random() < 0.1 or not phrasings:
            questions.append(rng.choice(OUT_OF_SCOPE))
            continue
        words = rng.choice(phrasings).split()
        if len(words) > 3:
            words.pop(rng.randrange(len(words)))
        position = rng.randrange(len(words))
        word = words[position]
        if len(word) > 4:
            cut = rng.randrange(1, len(word) - 1)
            words[position] = word[:cut] + word[cut + 1] + word[cut] + word[cut + 2 :]
        questions.append(" ".join(words))
    return questions


def _time(ask: Callable[[str], object], questions: Sequence[str]) -> dict[str, float]:
    """Time each question; like `timeit`, with the garbage collector paused meanwhile.

    Wall-clock times include whatever else the machine is doing; CPU times (this
    thread's own) show the work itself, which a busy shared machine cannot inflate.
    """
    ask(questions[0])
    wall: list[float] = []
    cpu: list[float] = []
    collecting = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for question in questions:
            begin, begin_cpu = time.perf_counter(), time.thread_time()
            ask(question)
            cpu.append((time.thread_time() - begin_cpu) * 1000)
            wall.append((time.perf_counter() - begin) * 1000)
        total = time.perf_counter() - start
    finally:
        if collecting:
            gc.enable()
    return {
        "qps": round(len(questions) / total, 1),
        "p50_ms": round(float(np.percentile(wall, 50)), 3),
        "p99_ms": round(float(np.percentile(wall, 99)), 3),
        "cpu_p50_ms": round(float(np.percentile(cpu, 50)), 3),
        "cpu_p99_ms": round(float(np.percentile(cpu, 99)), 3),
    }


def classifier_build(engine: Retriever) -> tuple[IntentVoter, dict[str, Any]]:
    """Fit the intent classifier into an empty cache folder, then load it from there."""
    settings = ClassifierSettings()
    data = training_set(engine.kb, engine.off_topics, settings)
    reader = classifier_reader(engine, settings)
    # scikit-learn is imported before the clock starts: a process pays that once (about a
    # second here), whether it fits or finds the model in the cache.
    import sklearn.feature_extraction.text
    import sklearn.linear_model  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="sendbot-bench-") as folder:
        start, start_cpu = time.perf_counter(), time.thread_time()
        read = data.read(reader)
        model, _ = load_or_fit(read, settings, Path(folder))
        fit_s, fit_cpu = time.perf_counter() - start, time.thread_time() - start_cpu
        start, start_cpu = time.perf_counter(), time.thread_time()
        _, hit = load_or_fit(data.read(reader), settings, Path(folder))
        hit_s, hit_cpu = time.perf_counter() - start, time.thread_time() - start_cpu
    return IntentVoter(model, reader), {
        "kind": model.kind,
        "texts": len(data.texts),
        "fit_s": round(fit_s, 3),
        "fit_cpu_s": round(fit_cpu, 3),
        "cache_hit": hit,
        "cache_hit_s": round(hit_s, 3),
        "cache_hit_cpu_s": round(hit_cpu, 3),
    }


def measure(kb: KnowledgeBase, label: str, questions: Sequence[str]) -> dict[str, Any]:
    """Build and time the engine, the lexical engine alone and rapidfuzz on one knowledge base."""
    before = rss_mb()
    start = time.perf_counter()
    lexical = Retriever(kb)
    build = time.perf_counter() - start
    index_mb = rss_mb() - before
    voter, classifier = classifier_build(lexical)
    engine = lexical.with_voters([voter])
    fuzzy = RapidfuzzBaseline(kb)
    phrasings = sum(len(e.questions) + 1 for e in kb.entries.values())
    engine_speed = _time(engine.ask, questions)
    lexical_speed = _time(lexical.ask, questions)
    fuzzy_speed = _time(lambda q: fuzzy.top1(q), questions)
    return {
        "kb": label,
        "entries": len(kb.entries),
        "phrasings": phrasings,
        "build_s": round(build, 3),
        "classifier": classifier,
        "engine": engine_speed,
        "lexical": lexical_speed,
        "rapidfuzz": fuzzy_speed,
        "speedup_vs_rapidfuzz": round(engine_speed["qps"] / max(fuzzy_speed["qps"], 1e-9), 2),
        "index_mb": round(index_mb, 1),
        "peak_rss_mb": peak_rss_mb(),
    }


def run_benchmark(kb: KnowledgeBase, sizes: Sequence[int], count: int) -> dict[str, Any]:
    """Measure at the real knowledge base, then at each synthetic size."""
    questions = bench_questions(kb, count)
    Retriever(kb).ask(questions[0])  # loads the word tables every index shares, once
    results = [measure(kb, "real", questions)]
    for size in sorted(sizes):
        results.append(measure(synthetic_kb(kb, size), f"synthetic-{size}", questions))
    return {"questions": count, "results": results}


def format_table(report: dict[str, Any]) -> str:
    """The benchmark as a readable table."""
    lines = [
        f"{report['questions']} questions per size; the engine as served (lexical ranking and "
        "intent classifier) against the lexical engine alone and plain rapidfuzz (WRatio); "
        "wall-clock p50/p99, then CPU p99; memory: RSS growth while building the index, and "
        "the process's peak RSS",
        f"{'kb':<16} {'entries':>7} {'build_s':>7} "
        f"{'qps':>7} {'p50_ms':>7} {'p99_ms':>7} {'cpu_p99':>7} | {'lex_p50':>7} "
        f"{'lex_p99':>7} {'lex_cpu99':>9} | {'rf_qps':>7} {'rf_p50':>7} "
        f"{'rf_p99':>7} {'rf_cpu99':>8} | {'speedup':>7} | {'index MB':>8} {'peak MB':>7}",
    ]
    for r in report["results"]:
        e, x, f = r["engine"], r["lexical"], r["rapidfuzz"]
        lines.append(
            f"{r['kb']:<16} {r['entries']:>7} {r['build_s']:>7.2f} "
            f"{e['qps']:>7.0f} {e['p50_ms']:>7.3f} {e['p99_ms']:>7.3f} {e['cpu_p99_ms']:>7.3f} | "
            f"{x['p50_ms']:>7.3f} {x['p99_ms']:>7.3f} {x['cpu_p99_ms']:>9.3f} | "
            f"{f['qps']:>7.0f} {f['p50_ms']:>7.3f} {f['p99_ms']:>7.3f} {f['cpu_p99_ms']:>8.3f} | "
            f"{r['speedup_vs_rapidfuzz']:>6.1f}x | {r['index_mb']:>8.1f} {r['peak_rss_mb']:>7.1f}"
        )
    lines += [
        "",
        "intent classifier: fitted into an empty cache, then found in it (wall-clock and CPU s)",
        f"{'kb':<16} {'kind':>9} {'texts':>7} {'fit_s':>7} {'fit_cpu':>7} "
        f"{'hit_s':>7} {'hit_cpu':>7}",
    ]
    for r in report["results"]:
        c = r["classifier"]
        lines.append(
            f"{r['kb']:<16} {c['kind']:>9} {c['texts']:>7} {c['fit_s']:>7.3f} "
            f"{c['fit_cpu_s']:>7.3f} {c['cache_hit_s']:>7.3f} {c['cache_hit_cpu_s']:>7.3f}"
        )
    return "\n".join(lines)
