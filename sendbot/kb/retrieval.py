"""Question answering over the knowledge base: ranking and the three outcomes.

How a question is matched:

1. The question and every entry go through the same analyser (`synonyms.Analyser`),
   one sentence at a time: normalised (American spellings and text-speak respelt),
   typos repaired against the knowledge base's own words (never a common English word),
   fillers that carry feeling but no subject ("new to all this") and small words
   dropped, endings trimmed, synonyms and abbreviations (knowledge/synonyms.yaml) read
   as one term. The served council's
   own name ("bristol") is dropped from questions: it says where, not what.
2. Four BM25 scores come from hand-written inverted indexes, each divided by the most
   the question could score (the sum of its terms' weights, capped for long messages),
   so each says how much of the question an entry explains:
   - `phrasing`: the best single phrasing (or the title) of the entry;
   - `entry`: all the entry's phrasings and its title together;
   - `body`: the answer text;
   - `pairs`: neighbouring terms within a sentence, over the phrasings.
   A council's entry that replaces a national one keeps the national phrasings too.
   Everyday English words weigh less; words the knowledge base never uses count
   against the question, a common one ("tax") more than a rare one (a name, a typo).
3. The confidence of an entry is a weighted sum of the four, mixed with the fuzzy
   (rapidfuzz) similarity of the question to its best phrasing for the leading
   entries. A question with nothing but numbers and question words gets no candidate.
4. The outcome comes from two calibrated thresholds and a margin: answer when the top
   entry is clearly good and clearly ahead; "did you mean" when it is plausible; fall
   back (say so plainly and offer a person) otherwise. Whether it is plausible also
   weighs a second signal the ranking never sees: a question whose SEND terms (words
   the entries' phrasings use that everyday English rarely does: "ehcp", "senco",
   "tribunal") outnumber its everyday words no entry uses ("tax", "passport"; not
   words as common as "meant" or "seem") needs less score to be offered as "did you
   mean". So "sencoo wont reply" is clarified, while "tribunal for a parking ticket"
   and "council tax" still fall back.
5. Subjects the bot does not answer (knowledge/off-topic.yaml: council tax, housing,
   school admissions, passports) are indexed and scored like entries but never
   returned: when one explains a question at least as well as the best entry, the
   question falls back. The clarify threshold is calibrated without them, so that it
   still turns away questions about subjects the list does not name.
6. With voters (the intent classifier, built by `kb/engine.py`), a question this engine
   does not send to the fallback is answered or clarified by `decision.combine`, which
   weighs this engine's own decision with theirs.

`Tuning` holds every number; `sendbot eval` measures them on tests/data/eval.jsonl.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from sendbot.kb.decision import DecisionTuning, Vote, Voter, combine
from sendbot.kb.english import zipf
from sendbot.kb.loader import Entry, KnowledgeBase
from sendbot.kb.normalise import normalise
from sendbot.kb.off_topic import OffTopics
from sendbot.kb.synonyms import Analyser, SynonymTable

Outcome = Literal["answer", "clarify", "fallback"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry and how well it matches."""

    entry: str
    score: float


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """What the engine decided for one question."""

    outcome: Outcome
    entry: str | None
    score: float
    candidates: list[Candidate] = field(default_factory=list)
    # An answer every signal was sure of; one given with less goes with its alternatives.
    sure: bool = True

    def as_json(self) -> dict[str, object]:
        """The shape `sendbot ask --json` prints."""
        return {
            "outcome": self.outcome,
            "entry": self.entry,
            "sure": self.sure,
            "score": round(self.score, 4),
            "candidates": [{"entry": c.entry, "score": round(c.score, 4)} for c in self.candidates],
        }


@dataclass(frozen=True, slots=True)
class Query:
    """An analysed question: its terms by sentence, in order, and the words they came from."""

    parts: list[list[str]]
    terms: list[str]
    surfaces: dict[str, str]


@dataclass(frozen=True)
class Tuning:
    """Every number the engine uses; the defaults are the ones measured best.

    The weights were chosen on the tuning half of tests/data/eval.jsonl and the two
    thresholds by `evaluate.calibrate` on that half (`sendbot eval --calibrate` prints
    what it picks now); the held-out half is only ever measured.
    """

    k1: float = 1.2
    b: float = 0.75
    w_phrasing: float = 0.3
    w_entry: float = 0.4
    w_body: float = 0.1
    # Word pairs in order ("refused assessment" is not "assessment refused a plan").
    w_pairs: float = 0.2
    w_fuzzy: float = 0.1
    fuzzy_top: int = 5
    answer_threshold: float = 0.6484
    clarify_threshold: float = 0.537
    answer_margin: float = 0.08
    # Weight of a question word the knowledge base never uses, as a share of the
    # rarest known word's weight: unknown words make a question less likely in scope.
    # A common English word ("tax", "passport") says more than a rare or made-up one
    # (a name, a typo left unrepaired, "dysregulated").
    unknown_weight: float = 1.0
    unknown_rare_weight: float = 0.3
    common_zipf: float = 2.0
    # Everyday words ("want", "new", "help") say less about which answer is meant: from
    # this Zipf frequency up, a word's weight falls linearly, to `generic_floor` two
    # points higher.
    generic_zipf: float = 5.0
    generic_floor: float = 0.5
    # The most explaining a question needs, in units of the rarest word's weight: a long
    # message full of story is judged on whether its key words are explained.
    ceiling_cap: float = 3.0
    typo_repair: bool = True
    # Out of scope or not is decided on more than the ranking score: a question whose SEND
    # terms (words the entries' phrasings use that everyday English rarely does, below
    # this Zipf frequency: "ehcp", "senco", "tribunal", "paediatrician") outnumber its
    # everyday words no entry uses ("tax", "passport") gets `domain_bonus` more
    # confidence when choosing between "did you mean" and falling back. Ranking never
    # sees it, and a direct answer still needs the plain score. On the tuning half any
    # bonus from 0.05 to 1.0 scores the same; 0.3 still asks that the top entry explain
    # about a quarter of the question. The tuning half scores Zipf 3.5 to 4.0 the same;
    # 3.75 ("assess", "exclusion", "diagnosis" count) is best on the blind probe set
    # written for this (see the closing note of issue 4).
    domain_zipf: float = 3.75
    domain_bonus: float = 0.3
    # An everyday word no entry uses counts against SEND terms only below this Zipf
    # frequency: "tax" and "passport" name another subject, "meant" and "seem" do not.
    off_topic_zipf_max: float = 5.0


@dataclass
class _Field:
    """An inverted index over one kind of document, with precomputed BM25 weights."""

    postings: dict[str, tuple[np.ndarray, np.ndarray]]
    idf: dict[str, float]
    size: int
    max_idf: float

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], k1: float, b: float) -> _Field:
        n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        average = float(lengths.mean()) if n and lengths.sum() else 1.0
        frequency: Counter[str] = Counter()
        counts = [Counter(d) for d in docs]
        for c in counts:
            frequency.update(c.keys())
        idf = {t: math.log(1.0 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}
        rows: dict[str, list[int]] = {}
        values: dict[str, list[float]] = {}
        for index, c in enumerate(counts):
            norm = k1 * (1.0 - b + b * lengths[index] / average)
            for term, tf in c.items():
                weight = idf[term] * tf * (k1 + 1.0) / (tf + norm)
                rows.setdefault(term, []).append(index)
                values.setdefault(term, []).append(weight)
        postings = {
            t: (np.array(rows[t], dtype=np.int64), np.array(values[t], dtype=np.float64))
            for t in rows
        }
        max_idf = math.log(1.0 + (n - 1 + 0.5) / 1.5) if n else 1.0
        return cls(postings=postings, idf=idf, size=n, max_idf=max_idf)

    def scores(self, terms: Sequence[str], weights: Mapping[str, float]) -> np.ndarray:
        """BM25 of every document for a set of distinct terms, each term weighted."""
        total = np.zeros(self.size, dtype=np.float64)
        for term in terms:
            posting = self.postings.get(term)
            if posting is not None:
                total[posting[0]] += weights.get(term, 1.0) * posting[1]
        return total

    def ceiling(
        self,
        terms: Sequence[str],
        weights: Mapping[str, float],
        unknown: Mapping[str, float],
        cap: float,
    ) -> float:
        """The most a question could score: the sum of its terms' weights, capped.

        `unknown` gives, for a term this field never uses, its weight as a share of the
        rarest term's weight; `cap` is the most the sum may be, in the same units.
        """
        total = sum(
            weights.get(t, 1.0) * self.idf[t]
            if t in self.idf
            else self.max_idf * unknown.get(t, 1.0)
            for t in terms
        )
        return min(total, cap * self.max_idf)


class Retriever:
    """Ranks entries for a question and decides whether to answer, clarify or fall back."""

    def __init__(
        self,
        kb: KnowledgeBase,
        tuning: Tuning | None = None,
        synonyms: SynonymTable | None = None,
        off_topics: OffTopics | None = None,
        voters: Sequence[Voter] = (),
        decision: DecisionTuning | None = None,
    ) -> None:
        self.kb = kb
        self.tuning = tuning or Tuning()
        # Second opinions (`decision.combine`); with none the engine decides alone.
        self.voters = tuple(voters)
        self.decision = decision or DecisionTuning()
        root = getattr(kb, "root", None)
        folder = Path(root) if root else None
        self.synonyms = synonyms or SynonymTable.for_knowledge(folder)
        self.off_topics = off_topics if off_topics is not None else OffTopics.for_knowledge(folder)
        entries = list(kb.entries.values())
        # Off-topic subjects are ranked after the entries, never returned as candidates.
        self._ids = [e.id for e in entries] + [t.id for t in self.off_topics.topics]
        self._answerable = len(entries)
        self._vocabulary = frozenset(w for text in _texts(entries) for w in normalise(text).split())
        off_topic_words = {
            w for t in self.off_topics.topics for q in t.questions for w in normalise(q).split()
        }
        self.analyser = Analyser(
            self.synonyms,
            vocabulary=set(self._vocabulary) | off_topic_words,
            typo_repair=self.tuning.typo_repair,
            common_zipf=self.tuning.common_zipf,
        )
        self._places = self._place_terms()
        self._build(entries)

    # -- index -----------------------------------------------------------------------

    def _build(self, entries: Sequence[Entry]) -> None:
        t = self.tuning

        def sentences(text: str) -> list[list[str]]:
            return self.analyser.sentences(text)

        phrasings: list[list[str]] = []
        self._phrasing_text: list[str] = []
        starts: list[int] = []
        entry_docs: list[list[str]] = []
        pair_docs: list[list[str]] = []
        body_docs: list[list[str]] = []
        # An off-topic subject has no answer: its questions stand in for one.
        documents = [(self._phrasings_of(e), e.body) for e in entries] + [
            (t.questions, "\n".join(t.questions)) for t in self.off_topics.topics
        ]
        for texts, body in documents:
            starts.append(len(phrasings))
            own: list[str] = []
            pairs: list[str] = []
            for text in texts:
                parts = sentences(text)
                analysed = [term for part in parts for term in part]
                phrasings.append(analysed)
                self._phrasing_text.append(" ".join(analysed))
                own.extend(analysed)
                pairs.extend(_pairs(parts))
            entry_docs.append(own)
            pair_docs.append(pairs)
            body_docs.append([term for part in sentences(body) for term in part])
        self._starts = np.array(starts, dtype=np.int64)
        self._ends = np.append(self._starts[1:], len(phrasings))
        self._phrasings = _Field.build(phrasings, t.k1, t.b)
        self._entries = _Field.build(entry_docs, t.k1, t.b)
        self._pairs = _Field.build(pair_docs, t.k1, t.b)
        self._bodies = _Field.build(body_docs, t.k1, t.b)
        # What the answerable entries say: the off-topic subjects' words are not SEND words.
        self._entry_terms = frozenset(t for doc in entry_docs[: len(entries)] for t in doc)
        self._body_terms = frozenset(t for doc in body_docs[: len(entries)] for t in doc)

    def _place_terms(self) -> frozenset[str]:
        """The served council's own name ("bristol"): where, never what, a parent asks."""
        council = self.kb.council
        if council is None:
            return frozenset()
        named = self.analyser.terms(f"{council.name} {council.council}")
        return frozenset(named) - self.analyser.canonical_terms()

    def _phrasings_of(self, entry: Entry) -> tuple[str, ...]:
        """An entry's title and phrasings, with those of the national entry it replaces.

        A council's own entry answers the same question as the national one, so the
        ways parents ask it still apply.
        """
        texts = (entry.title, *entry.questions)
        replaced = self.kb.overridden.get(entry.id)
        if replaced is not None:
            texts = (*texts, replaced.title, *replaced.questions)
        return texts

    # -- scoring -----------------------------------------------------------------------

    def _known(self, term: str) -> bool:
        """Whether any entry's phrasings or answer use a term."""
        return term in self._entry_terms or term in self._body_terms

    def analyse(self, question: str) -> Query:
        """A question's terms, sentence by sentence, without the council's own name."""
        parts, surfaces = self.analyser.sentences_and_surfaces(question)
        parts = [[term for term in part if term not in self._places] for part in parts]
        terms = list(dict.fromkeys(term for part in parts for term in part))
        return Query(parts, terms, surfaces)

    def features(self, question: str) -> tuple[list[str], dict[str, np.ndarray]]:
        """The question's terms and each entry's normalised score on each field."""
        query = self.analyse(question)
        return query.terms, self._features(query)

    def _features(self, question: Query) -> dict[str, np.ndarray]:
        """Each entry's normalised score on each field for an analysed question."""
        t = self.tuning
        parts, query, surfaces = question.parts, question.terms, question.surfaces
        n = len(self._ids)
        if not n or not any(self._known(term) for term in query if not _weak(term)):
            # Nothing but numbers and question words, or nothing the knowledge base knows.
            zero = np.zeros(n)
            return {"phrasing": zero, "entry": zero, "body": zero, "pairs": zero}
        unknown = {
            term: t.unknown_weight
            if zipf(surfaces.get(term, term)) >= t.common_zipf
            else t.unknown_rare_weight
            for term in query
        }
        canonical = self.analyser.canonical_terms()
        weights = {
            term: _specificity(zipf(surfaces.get(term, term)), t.generic_zipf, t.generic_floor)
            for term in query
            if term not in canonical
        }
        phr = self._phrasings.scores(query, weights)
        best_phrasing = np.maximum.reduceat(phr, self._starts) if phr.size else np.zeros(n)
        found = {}
        for name, field_scores, index in (
            ("phrasing", best_phrasing, self._phrasings),
            ("entry", self._entries.scores(query, weights), self._entries),
            ("body", self._bodies.scores(query, weights), self._bodies),
        ):
            ceiling = index.ceiling(query, weights, unknown, t.ceiling_cap)
            found[name] = field_scores / max(ceiling, 1e-9)
        pairs = list(dict.fromkeys(_pairs(parts)))
        found["pairs"] = (
            self._pairs.scores(pairs, {})
            / max(self._pairs.ceiling(pairs, {}, {}, t.ceiling_cap), 1e-9)
            if pairs
            else np.zeros(n)
        )
        return found

    def domain_terms(self, question: Query) -> list[str]:
        """The question's SEND terms: words the phrasings use that everyday English rarely does.

        Numbers, question words and single letters never count; nor does a word only the
        answers use (a name, a law's citation).
        """
        rare = self.tuning.domain_zipf
        return [
            term
            for term in question.terms
            if len(term) > 1
            and term.isalpha()
            and not _weak(term)
            and term in self._entry_terms
            and self.analyser.everyday(term, question.surfaces) < rare
        ]

    def off_topic_words(self, question: Query) -> list[str]:
        """Everyday words no entry uses, too rare to be filler ("tax", "bins", not "meant")."""
        common = self.tuning.common_zipf
        return [
            term
            for term in question.terms
            if not _weak(term)
            and not self._known(term)
            and common <= zipf(question.surfaces.get(term, term)) < self.tuning.off_topic_zipf_max
        ]

    def in_domain(self, question: Query) -> bool:
        """Whether a question's SEND terms outnumber its everyday words the entries lack.

        "can the senco give evidence at the tribunal by zoom" is about SEND (two SEND
        terms, one unknown word); "tribunal for a parking ticket" is not (one of each).
        """
        send = len(self.domain_terms(question))
        return send > 0 and len(self.off_topic_words(question)) < send

    def rank(self, question: str, limit: int = 10) -> list[Candidate]:
        """Entries best first with their confidence, at most `limit`."""
        return self._rank(self.analyse(question), limit)

    def _rank(self, question: Query, limit: int) -> list[Candidate]:
        """Entries best first for an analysed question."""
        return self._best(*self._scored(question), limit)

    def _best(self, scores: np.ndarray, closeness: np.ndarray, limit: int) -> list[Candidate]:
        """The answerable entries best first, at most `limit`, from every document's score.

        Equal scores are ordered by `closeness` (`_scored`).
        """
        score = scores[: self._answerable]
        top = min(limit, len(score))
        if not top:
            return []
        order = np.argpartition(-score, top - 1)[:top] if top < len(score) else np.arange(top)
        order = order[np.lexsort((-closeness[order], -score[order]))]
        return [Candidate(self._ids[i], float(score[i])) for i in order if score[i] > 0]

    def _off_topic(self, scores: np.ndarray) -> float:
        """How well the best off-topic subject explains the question (0 when there are none)."""
        rest = scores[self._answerable :]
        return float(rest.max()) if rest.size else 0.0

    def _scores(self, question: Query) -> np.ndarray:
        """The confidence of every document: the entries, then the off-topic subjects."""
        return self._scored(question)[0]

    def _scored(self, question: Query) -> tuple[np.ndarray, np.ndarray]:
        """Every document's confidence, and how closely it matches, to order equal scores.

        Each field's score is capped at 1 (the question fully explained), so two entries
        whose phrasings both contain the whole question score the same. Uncapped, BM25's
        length normalisation still tells them apart: the phrasing with less else in it
        ("local offer website", not "local offer website is hard to use, i want to say
        this") scores more. That sum is the closeness.
        """
        t = self.tuning
        query = question.terms
        if not query or not self._ids:
            zero = np.zeros(len(self._ids))
            return zero, zero
        found = self._features(question)
        score = (
            t.w_phrasing * np.minimum(found["phrasing"], 1.0)
            + t.w_entry * np.minimum(found["entry"], 1.0)
            + t.w_body * np.minimum(found["body"], 1.0)
            + t.w_pairs * np.minimum(found["pairs"], 1.0)
        )
        closeness = (
            t.w_phrasing * found["phrasing"]
            + t.w_entry * found["entry"]
            + t.w_body * found["body"]
            + t.w_pairs * found["pairs"]
        )
        if t.w_fuzzy:
            score = self._fuzzy(query, score)
        return score, closeness

    def _fuzzy(self, query: Sequence[str], score: np.ndarray) -> np.ndarray:
        """Add fuzzy similarity to the best phrasing, for the leading entries only."""
        t = self.tuning
        k = min(t.fuzzy_top, len(score))
        lead = np.argpartition(-score, k - 1)[:k]
        spans = [(int(i), int(self._starts[i]), int(self._ends[i])) for i in lead]
        choices = [self._phrasing_text[j] for _, start, end in spans for j in range(start, end)]
        similarity = process.cdist(
            [" ".join(query)], choices, scorer=fuzz.token_set_ratio, dtype=np.float32, workers=1
        )[0]
        boosted = score * (1.0 - t.w_fuzzy)
        offset = 0
        for i, start, end in spans:
            best = float(similarity[offset : offset + end - start].max())
            boosted[i] += t.w_fuzzy * best / 100.0
            offset += end - start
        return boosted

    def decide(
        self,
        candidates: list[Candidate],
        limit: int = 3,
        *,
        domain: bool = False,
        off_topic: float = 0.0,
    ) -> AnswerResult:
        """Choose answer, clarify or fallback from ranked candidates.

        `domain` says the question is about SEND (`in_domain`): its top entry then needs
        `domain_bonus` less score to be offered as "did you mean", never to be given as
        a direct answer. `off_topic` is the best off-topic subject's score: when it is at
        least the top entry's, the question is about something else and falls back.
        """
        t = self.tuning
        shown = candidates[:limit]
        if not candidates:
            return AnswerResult("fallback", None, 0.0, [])
        top = candidates[0].score
        if off_topic >= top:
            return AnswerResult("fallback", None, top, shown)
        second = candidates[1].score if len(candidates) > 1 else 0.0
        if top >= t.answer_threshold and top - second >= t.answer_margin:
            return AnswerResult("answer", candidates[0].entry, top, shown)
        if self._in_scope_evidence(top, domain) >= t.clarify_threshold:
            return AnswerResult("clarify", None, top, shown)
        return AnswerResult("fallback", None, top, shown)

    def _in_scope_evidence(self, top: float, domain: bool) -> float:
        """What the clarify threshold is compared with: the top score, more for SEND terms."""
        return top + (self.tuning.domain_bonus if domain else 0.0)

    def evidence(self, question: str) -> float:
        """How much a question looks in scope, as `decide` weighs it against falling back.

        The off-topic subjects are left out on purpose: the clarify threshold calibrated on
        this must also turn away questions about subjects that list does not name.
        """
        query = self.analyse(question)
        ranked = self._rank(query, 1)
        if not ranked:
            return 0.0
        return self._in_scope_evidence(ranked[0].score, self.in_domain(query))

    def lexical(self, question: str, limit: int = 3) -> AnswerResult:
        """The lexical engine's decision alone: rank, then answer, clarify or fall back."""
        query = self.analyse(question)
        scores, closeness = self._scored(query)
        ranked = self._best(scores, closeness, max(limit, 2))
        return self.decide(
            ranked,
            limit,
            domain=bool(ranked) and self.in_domain(query),
            off_topic=self._off_topic(scores),
        )

    def votes(self, question: str) -> tuple[tuple[str, Vote], ...]:
        """Every voter's choice for a question, by voter name."""
        return tuple((voter.name, voter.vote(question)) for voter in self.voters)

    def ask(self, question: str, limit: int = 3) -> AnswerResult:
        """Rank entries for a question and choose answer, clarify or fallback.

        With voters, a question the lexical engine does not refuse is answered or
        clarified by `decision.combine`.
        """
        result = self.lexical(question, limit)
        if not self.voters or result.outcome == "fallback" or not result.candidates:
            return result
        top = result.candidates[0]
        verdict = combine(
            top.entry, top.score, result.outcome == "answer", self.votes(question), self.decision
        )
        if verdict.answer:
            return replace(result, outcome="answer", entry=top.entry, sure=verdict.sure)
        return replace(result, outcome="clarify", entry=None)

    def known_words(self) -> frozenset[str]:
        """Every normalised word the knowledge base uses (never a name, for redaction)."""
        return self._vocabulary

    def with_tuning(self, **changes: object) -> Retriever:
        """A retriever over the same knowledge with some numbers changed."""
        tuning = replace(self.tuning, **changes)  # type: ignore[arg-type]
        return Retriever(
            self.kb, tuning, self.synonyms, self.off_topics, self.voters, self.decision
        )

    def with_voters(
        self, voters: Sequence[Voter], decision: DecisionTuning | None = None
    ) -> Retriever:
        """The same engine deciding with other voters (none: the lexical engine alone)."""
        found = copy.copy(self)  # the indexes are shared, never changed after building
        found.voters = tuple(voters)
        found.decision = decision or self.decision
        return found


_QUESTION_WORDS = frozenset({"what", "how", "when", "why", "who", "which", "wher", "whose"})


def _weak(term: str) -> bool:
    """A number or a question word: never enough, alone, to put a question in scope."""
    return term.isdigit() or term in _QUESTION_WORDS


def _specificity(frequency: float, start: float, floor: float) -> float:
    """A word's weight by how everyday it is: 1, falling to `floor` two Zipf points up."""
    if frequency <= start:
        return 1.0
    return max(floor, 1.0 - (1.0 - floor) * (frequency - start) / 2.0)


def _pairs(sentences: Sequence[Sequence[str]]) -> list[str]:
    """Each two neighbouring terms of a sentence as one."""
    return [f"{a} {b}" for terms in sentences for a, b in pairwise(terms) if a != b]


def _texts(entries: Sequence[Entry]) -> list[str]:
    """Every text of some entries: titles, phrasings and answers."""
    found: list[str] = []
    for entry in entries:
        found.extend((entry.title, *entry.questions, entry.body))
    return found
