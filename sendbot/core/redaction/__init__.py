"""Remove personal data from free text before it leaves the parent's own conversation.

The one package used wherever text is kept or shown to someone else: knowledge-gap
questions, the officers' group summaries, logs. What goes: e-mail addresses, spelled out
or not ("sarah dot jones at gmail dot com"), web links, phone numbers however they are
written ("O7700 9OO123", "07700.900.123", "+44 (0)117 496 0000"), NHS numbers, National
Insurance numbers, postcodes, street addresses and flats, school names, dates such as a
date of birth, names the caller knows (the linked child's first name), and other names:
after "my son", "I am", "my name is", "Mrs" and the like, capitalised words in the middle
of a sentence that are not known words, and every later appearance of a name found. It
errs on the side of removing too much: a gap report with a few words missing is fine, a
child's name in it is not.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sendbot.core.redaction.dates import redact_dates
from sendbot.core.redaction.emails import redact_emails
from sendbot.core.redaction.names import lowered, redact_known_names, redact_names
from sendbot.core.redaction.numbers import redact_numbers
from sendbot.core.redaction.placeholders import (
    ADDRESS,
    DATE,
    EMAIL,
    LINK,
    NAME,
    NHS,
    NI_NUMBER,
    NUMBER,
    PHONE,
    POSTCODE,
    SCHOOL,
)
from sendbot.core.redaction.places import redact_places
from sendbot.core.redaction.words import COMMON_WORDS

__all__ = [
    "ADDRESS",
    "COMMON_WORDS",
    "DATE",
    "EMAIL",
    "LINK",
    "NAME",
    "NHS",
    "NI_NUMBER",
    "NUMBER",
    "PHONE",
    "POSTCODE",
    "SCHOOL",
    "redact",
]


def redact(text: str, known_words: Collection[str] = (), names: Collection[str] = ()) -> str:
    """Text with personal data replaced by placeholders such as [name] or [phone].

    `known_words` are ordinary words never taken for names (the knowledge base's own);
    `names` are always removed, whatever their case (the linked child's first name).
    """
    if not text:
        return ""
    known = lowered(known_words)
    text = redact_known_names(text, names)
    text = redact_emails(text)
    text = redact_numbers(text)  # before dates: "07.3.32 4 42486" is not a date and more
    text = redact_dates(text)
    text = redact_places(text, known)
    text = redact_names(text, known)
    return re.sub(r"\s+", " ", text).strip()
