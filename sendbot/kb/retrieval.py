"""Question answering over the knowledge base: ranking the entries for a question.

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
4. Subjects the bot does not answer (knowledge/off-topic.yaml: council tax, housing,
   school admissions, passports) are indexed and scored like entries but never
   returned as candidates (`_off_topic` gives the best one's score).
5. Whether a question is about SEND at all (`in_domain`) is a second signal the
   ranking never sees: its SEND terms (words the entries' phrasings use that everyday
   English rarely does: "ehcp", "senco", "tribunal") against its everyday words no
   entry uses ("tax", "passport"; not words as common as "meant" or "seem").

Answer, "did you mean" or fall back is chosen from this by `outcomes.Deciding`, the
other half of `Retriever`. `Tuning` holds every number of both halves; `sendbot eval`
measures them on tests/data/eval.jsonl.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from sendbot.kb.bm25 import Field
from sendbot.kb.decision import DecisionTuning, Voter
from sendbot.kb.english import zipf
from sendbot.kb.loader import Entry, KnowledgeBase
from sendbot.kb.normalise import normalise
from sendbot.kb.off_topic import OffTopics
from sendbot.kb.outcomes import AnswerResult, Candidate, Deciding, Outcome
from sendbot.kb.synonyms import Analyser, SynonymTable

__all__ = ["AnswerResult", "Candidate", "Outcome", "Query", "Retriever", "Tuning"]


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


class Retriever(Deciding["Query"]):
    """Ranks entries for a question; `Deciding` chooses answer, clarify or fallback."""

    tuning: Tuning

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
        self._positions = {entry_id: i for i, entry_id in enumerate(self._ids[: len(entries)])}
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
        self._phrasings = Field.build(phrasings, t.k1, t.b)
        self._entries = Field.build(entry_docs, t.k1, t.b)
        self._pairs = Field.build(pair_docs, t.k1, t.b)
        self._bodies = Field.build(body_docs, t.k1, t.b)
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

    def index_terms(self, text: str) -> list[str]:
        """A text's index terms in order, repeats and place names kept (for the classifier)."""
        return self.analyser.terms(text)

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

    def _position(self, entry: str) -> int | None:
        """Where an entry's score is in the scores `_scored` gives (None: not an entry)."""
        return self._positions.get(entry)

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

    def known_words(self) -> frozenset[str]:
        """Every normalised word the knowledge base uses (never a name, for redaction)."""
        return self._vocabulary

    def with_tuning(self, **changes: object) -> Retriever:
        """A retriever over the same knowledge with some numbers changed."""
        tuning = replace(self.tuning, **changes)  # type: ignore[arg-type]
        return Retriever(
            self.kb, tuning, self.synonyms, self.off_topics, self.voters, self.decision
        )


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
