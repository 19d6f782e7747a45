"""Text normalisation for question matching: case, punctuation, spelling, word endings.

`normalise` turns any text into lower-case words separated by single spaces, with
British spelling. It is idempotent (normalising twice changes nothing) and never fails.
`stem` trims common English endings so that "assessed", "assessing" and "assessment"
meet. Both sides of a match (the parent's question and the knowledge base) go through
the same steps, so the exact form of a stem does not matter, only that it is stable.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

# Quote marks and dashes people paste from phones and word processors.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})
_POSSESSIVE = re.compile(r"(?<=[a-z0-9])'s\b")
_INNER_APOSTROPHE = re.compile(r"(?<=[a-z])'(?=[a-z])")
# Thousands separators go, so "£6,000" and "6000" are one number.
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# A hyphen after a common prefix joins the words ("co-production", "re-assess").
_PREFIX_HYPHEN = re.compile(r"\b(co|re|pre|non|de|sub|multi|semi)-(?=[a-z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# American -ize/-yze endings become British -ise/-yse (organize, analyze, realized...).
_IZE = re.compile(r"^([a-z]{3,})(iz|yz)(e|es|ed|ing|ation|ations|er|ers)$")
_IZE_KEEP = frozenset(
    {
        "size",
        "sizes",
        "sized",
        "seize",
        "seized",
        "seizes",
        "seizing",
        "prize",
        "prizes",
        "capsize",
        "citizen",
        "citizens",
        "bizarre",
        "maize",
        "baize",
        "assize",
        "wizard",
    }
)

# American spellings a parent may use, mapped to the British spelling the entries use.
# Words only (no phrases); the synonym list handles phrases and abbreviations.
AMERICAN_TO_BRITISH: dict[str, str] = {
    "behavior": "behaviour",
    "behaviors": "behaviours",
    "behavioral": "behavioural",
    "color": "colour",
    "favor": "favour",
    "favorite": "favourite",
    "honor": "honour",
    "labor": "labour",
    "neighbor": "neighbour",
    "neighborhood": "neighbourhood",
    "center": "centre",
    "centers": "centres",
    "theater": "theatre",
    "meter": "metre",
    "program": "programme",
    "programs": "programmes",
    "enrollment": "enrolment",
    "enroll": "enrol",
    "fulfill": "fulfil",
    "skillful": "skilful",
    "counselor": "counsellor",
    "counseling": "counselling",
    "counseled": "counselled",
    "traveling": "travelling",
    "traveled": "travelled",
    "canceled": "cancelled",
    "canceling": "cancelling",
    "labeled": "labelled",
    "labeling": "labelling",
    "modeling": "modelling",
    "pediatric": "paediatric",
    "pediatrician": "paediatrician",
    "pediatricians": "paediatricians",
    "pediatrics": "paediatrics",
    "orthopedic": "orthopaedic",
    "anesthetic": "anaesthetic",
    "esophagus": "oesophagus",
    "fetal": "foetal",
    "diarrhea": "diarrhoea",
    "leukemia": "leukaemia",
    "anemia": "anaemia",
    "defense": "defence",
    "offense": "offence",
    "license": "licence",
    "judgment": "judgement",
    "aging": "ageing",
    "gray": "grey",
    "mom": "mum",
    "moms": "mums",
    "mommy": "mummy",
    "catalog": "catalogue",
    "dialog": "dialogue",
    "analog": "analogue",
    "math": "maths",
    "vacation": "holiday",
    "tire": "tyre",
    "curb": "kerb",
    "toward": "towards",
    "afterward": "afterwards",
    "mold": "mould",
    "plow": "plough",
    "pajamas": "pyjamas",
    "cozy": "cosy",
    "skeptical": "sceptical",
    "sulfur": "sulphur",
    "aluminum": "aluminium",
    "jewelry": "jewellery",
    "woolen": "woollen",
    "willful": "wilful",
    "installment": "instalment",
    "acknowledgment": "acknowledgement",
    "ameba": "amoeba",
    "estrogen": "oestrogen",
    "maneuver": "manoeuvre",
    "mustache": "moustache",
}

# Text-speak and phonetic spellings of everyday words, as parents type on a phone.
TEXT_SPEAK: dict[str, str] = {
    "wat": "what",
    "wot": "what",
    "wht": "what",
    "wen": "when",
    "hw": "how",
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "coz": "because",
    "cos": "because",
    "cuz": "because",
    "bcos": "because",
    "bcoz": "because",
    "tho": "though",
    "thru": "through",
    "skool": "school",
    "dunno": "dont know",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "ppl": "people",
}

# Every word-for-word respelling `normalise` makes.
SPELLINGS: dict[str, str] = {**AMERICAN_TO_BRITISH, **TEXT_SPEAK}


def _fold(text: str) -> str:
    """Unicode compatibility form, lower case, accents removed, quotes unified."""
    if text.isascii():
        return text.lower().replace("`", "'")
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def british(word: str, spellings: Mapping[str, str] = SPELLINGS) -> str:
    """The British spelling of one lower-case word (unchanged when not American or text-speak)."""
    mapped = spellings.get(word)
    if mapped is not None:
        return mapped
    if word in _IZE_KEEP:
        return word
    match = _IZE.match(word)
    if match:
        stem, middle, ending = match.groups()
        return f"{stem}{'is' if middle == 'iz' else 'ys'}{ending}"
    return word


def normalise(text: str, spellings: Mapping[str, str] = SPELLINGS) -> str:
    """Lower-case words separated by single spaces, British spelling, no punctuation.

    Possessives go ("ds's" becomes "ds"), inner apostrophes join ("can't" becomes
    "cant"), so does a hyphen after a common prefix ("co-production" becomes
    "coproduction") and a thousands separator ("6,000" becomes "6000"), and every other
    non-alphanumeric character separates words.
    """
    if not text:
        return ""
    folded = _fold(text)
    folded = _POSSESSIVE.sub("", folded)
    folded = _INNER_APOSTROPHE.sub("", folded)
    folded = _PREFIX_HYPHEN.sub(r"\1", folded)
    folded = _THOUSANDS.sub("", folded)
    words = _NOT_WORD.sub(" ", folded).split()
    if spellings is SPELLINGS:
        return " ".join([_british_cached(w) for w in words])
    return " ".join([british(w, spellings) for w in words])


@lru_cache(maxsize=65536)
def _british_cached(word: str) -> str:
    return british(word)


_VOWELS = frozenset("aeiouy")


def _has_vowel(part: str) -> bool:
    return any(ch in _VOWELS for ch in part)


def _measure(part: str) -> int:
    """Porter's measure: how many vowel-then-consonant runs a word has."""
    count = 0
    previous_vowel = False
    for index, ch in enumerate(part):
        vowel = ch in "aeiou" or (ch == "y" and index > 0 and part[index - 1] not in "aeiou")
        if previous_vowel and not vowel:
            count += 1
        previous_vowel = vowel
    return count


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light, conservative English stemmer (plurals, -ing, -ed, -ion, -ly, -ment, final e).

    Numbers and words of three letters or fewer are left alone, so abbreviations
    such as "ehcp", "la" or "ta" stay as they are.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    w = word
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    for suffix in ("ingly", "edly", "ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and _has_vowel(w[: -len(suffix)]):
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # stopping -> stop, but assess, call stay
            break
    if w.endswith(("tion", "sion")) and _measure(w[:-3]) > 1:
        w = w[:-3]  # suggestion -> suggest, mediation -> mediat (as mediate)
    elif w.endswith("ment") and _measure(w[:-4]) > 1:
        w = w[:-4]  # assessment -> assess, amendment -> amend; statement stays
    elif w.endswith("ly") and len(w) - 2 >= 4:
        w = w[:-2]
    if w.endswith("y") and len(w) > 4:
        w = w[:-1] + "i"  # family, families -> famili
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w
