"""Normalisation, stemming, synonyms and typo repair used by question matching."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendbot.config import bundled_knowledge_dir
from sendbot.kb import english
from sendbot.kb.loader import load_knowledge
from sendbot.kb.normalise import british, normalise, stem
from sendbot.kb.synonyms import Analyser, SynonymError, SynonymTable, bundled_synonyms


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    vocabulary = {"tribunal", "assessment", "excluded", "ombudsman", "timetable", "senco"}
    return Analyser(bundled_synonyms(), vocabulary=vocabulary)


def test_normalise_case_punctuation_and_apostrophes() -> None:
    assert normalise("DS's 1:1 TA off for weeks, surely NOT allowed??") == (
        "ds 1 1 ta off for weeks surely not allowed"
    )
    assert normalise("Can’t  get an E.H.C.P.!") == "cant get an e h c p"
    assert normalise("naïve café") == "naive cafe"
    assert normalise("") == ""
    assert normalise("!!! ???") == ""


def test_american_spellings_become_british() -> None:
    assert normalise("Behavior center program") == "behaviour centre programme"
    assert normalise("They organized, he apologized; pediatrician") == (
        "they organised he apologised paediatrician"
    )
    assert british("size") == "size"  # not every -ize word is American
    assert british("citizen") == "citizen"


def test_text_speak_becomes_plain_words() -> None:
    assert normalise("wat r u doing abt ur EHCP pls") == "what are you doing abt your ehcp please"
    assert normalise("dunno y") == "dont know y"
    # Respelling twice changes nothing, even where one word becomes two.
    assert normalise(normalise("dunno wanna")) == "dont know want to"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalise_is_idempotent_and_never_fails(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert all(ch.isascii() and (ch.isalnum() or ch == " ") for ch in once)


def test_stem_joins_word_forms_and_leaves_abbreviations() -> None:
    assert stem("assessed") == stem("assessing") == stem("assessment") == stem("assess")
    assert stem("excluded") == stem("excluding") == stem("exclude")
    assert stem("families") == stem("family")
    assert stem("statement") != stem("state")
    for short in ("ehcp", "la", "ta", "ot", "ep", "123"):
        assert stem(short) == short


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("EHCP", "education, health and care plan"),
        ("EHC plan", "ehcp"),
        ("statement of SEN", "EHCP"),
        ("LA", "local authority"),
        ("council", "local authority"),
        ("SALT", "speech and language therapy"),
        ("speech therapy", "SLT"),
        ("DS", "my son"),
        ("dd", "daughter"),
        ("1:1", "TA"),
        ("one to one", "teaching assistant"),
        ("SENDCo", "SEN coordinator"),
        ("SENDIST", "tribunal"),
        ("LGO", "ombudsman"),
        ("IASS", "SENDIASS"),
        ("AR", "annual review"),
        ("EP", "educational psychologist"),
        ("OT", "occupational therapist"),
        ("CAMHS", "child and adolescent mental health services"),
        ("CCG", "ICB"),
        ("integrated care board", "icb"),
    ],
)
def test_synonyms_read_as_one_term(analyser: Analyser, one: str, other: str) -> None:
    assert analyser.terms(one) == analyser.terms(other)


def test_synonyms_apply_inside_questions(analyser: Analyser) -> None:
    terms = analyser.terms("ds's 1:1 TA off for weeks, surely not allowed with an EHC plan??")
    assert terms[0] == analyser.terms("child")[0]
    assert analyser.terms("ehcp")[0] in terms
    assert "the" not in terms


def test_typos_are_repaired_against_known_words(analyser: Analyser) -> None:
    assert analyser.terms("tribunel") == analyser.terms("tribunal")
    assert analyser.terms("asessment") == analyser.terms("assessment")
    assert analyser.terms("exlcuded") == analyser.terms("excluded")
    # Short words and numbers are never "repaired".
    assert analyser.terms("bin") == ["bin"]
    assert analyser.terms("2024") == ["2024"]


def test_bundled_synonyms_load_without_clashes() -> None:
    table = SynonymTable.load(bundled_knowledge_dir() / "synonyms.yaml")
    assert len(table.groups) >= 40
    Analyser(table)  # raises SynonymError on a phrase in two groups


def test_a_phrase_in_two_groups_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.yaml"
    path.write_text("groups:\n  - [ehcp, ehc plan]\n  - [plan, ehc plan]\n")
    with pytest.raises(SynonymError, match="two groups"):
        Analyser(SynonymTable.load(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just a list\n", "groups"),
        ("groups:\n  - [lonely]\n", "two items"),
        ("groups:\n  - [ehcp, ehc plan]\nfillers: new to all this\n", "fillers"),
        ("groups:\n  - [ehcp, ehc plan]\nfillers:\n  - '!!!'\n", "fillers"),
    ],
)
def test_malformed_synonym_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "synonyms.yaml"
    path.write_text(text)
    with pytest.raises(SynonymError, match=message):
        SynonymTable.load(path)


def test_fillers_are_dropped_and_nothing_around_them(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.yaml"
    path.write_text("groups:\n  - [ehcp, ehc plan]\nfillers:\n  - new to all this\n")
    analyser = Analyser(SynonymTable.load(path))
    assert analyser.terms("New to all this! what is an EHC plan") == ["what", "ehcp"]
    # A filler's words elsewhere, or in another order, are kept.
    assert analyser.terms("new school, all of this year") == ["new", "school", "year"]


def test_the_bundled_fillers_keep_every_entry_question_meaningful() -> None:
    kb = load_knowledge(bundled_knowledge_dir(), "bristol")
    analyser = Analyser(bundled_synonyms())
    for entry in kb.entries.values():
        for question in entry.questions:
            assert analyser.terms(question), (entry.id, question)


def test_possessive_pronouns_are_small_words(analyser: Analyser) -> None:
    assert analyser.terms("ours doesnt have a senco") == analyser.terms("doesnt have a senco")


def test_a_knowledge_folder_without_synonyms_uses_the_bundled_ones(tmp_path: Path) -> None:
    assert SynonymTable.for_knowledge(tmp_path) == bundled_synonyms()


def test_prefix_hyphens_and_thousands_separators_join() -> None:
    assert normalise("Co-production and re-assessment") == "coproduction and reassessment"
    assert normalise("spend £6,000 first") == normalise("spend £6000 first") == "spend 6000 first"
    assert normalise("1,2 and 3,45") == "1 2 and 3 45"  # not thousands: still separate


def test_stem_joins_ion_nouns_with_their_verbs() -> None:
    assert stem("suggestion") == stem("suggestions") == stem("suggest")
    assert stem("mediation") == stem("mediate")
    assert stem("discrimination") == stem("discriminate")
    assert stem("section") == "section"  # too short a stem to cut


def test_english_frequencies() -> None:
    assert english.available()
    assert english.zipf("the") > english.zipf("council") > english.zipf("tribunal") > 0
    assert english.zipf("ehcp") == 0.0
    assert english.zipf("doesnt") > 4  # looked up without its apostrophe


def test_common_words_are_never_taken_for_typos() -> None:
    analyser = Analyser(bundled_synonyms(), vocabulary={"look", "free", "july", "tribunal"})
    assert analyser.words("book a tree in june") == ["book", "tree", "june"]
    assert analyser.words("tribunel") == ["tribunal"]


def test_phrases_never_span_two_sentences(analyser: Analyser) -> None:
    phrase = analyser.terms("neurodevelopmental assessment")
    assert analyser.terms("assessment for autism") == phrase
    split_up = analyser.sentences("they refused the assessment?? he has autism")
    assert len(split_up) == 2
    assert phrase[0] not in [t for s in split_up for t in s]


def test_a_phrase_is_found_after_a_shorter_one_inside_it(analyser: Analyser) -> None:
    assert analyser.terms("take away his EHC plan") == analyser.terms("take away the plan")
