"""Link codes: random, unambiguous, forgiving to type, and stored only as keyed hashes."""

from __future__ import annotations

import re
import secrets

from sendbot.core.keyring import Keyring

# No 0/O, 1/I/L or U/V look-alikes: what a parent reads off a letter is what they type.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
LENGTH = 10
_SEPARATORS = re.compile(r"[\s\-‐-―_.·/]+")


def new_code() -> str:
    """A fresh code from the operating system's random source, shown as XXXXX-XXXXX."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(text: str) -> str | None:
    """The code's ten characters in upper case, or None if the text cannot be a code.

    Spaces, dashes, dots and lower case are forgiven: 'abcde 23456' reads as ABCDE23456.
    """
    compact = _SEPARATORS.sub("", text.strip()).upper()
    if len(compact) != LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return compact


def code_hash(keyring: Keyring, code: str) -> str:
    """The keyed hash stored for a code (give it the normalised code)."""
    return keyring.digest("case-link-code", code)


def dob_digest(keyring: Keyring, reference: str, born: str) -> str:
    """The keyed hash stored instead of a child's date of birth (ISO date), bound to the case."""
    return keyring.digest("case-dob", f"{reference}|{born}")
