"""Ticket references, draft tokens and officer invite codes: random and easy to read."""

from __future__ import annotations

import re
import secrets

from sendbot.core.cases.codes import ALPHABET
from sendbot.core.keyring import Keyring

REFERENCE_LENGTH = 6
INVITE_LENGTH = 12
REFERENCE_PATTERN = re.compile(r"\b([TF])-([" + ALPHABET + r"]{6})\b")


def new_reference(prefix: str) -> str:
    """A reference such as T-7KQ3MZ (T for tickets, F for Local Offer feedback)."""
    return f"{prefix}-" + "".join(secrets.choice(ALPHABET) for _ in range(REFERENCE_LENGTH))


def find_reference(text: str | None, prefix: str = "T") -> str | None:
    """The first reference with this prefix in a text, normalised, or None."""
    for match in REFERENCE_PATTERN.finditer(text or ""):
        if match.group(1).upper() == prefix:
            return f"{prefix}-{match.group(2).upper()}"
    return None


def read_reference(text: str, prefix: str = "T") -> str | None:
    """A reference typed on its own (T-7KQ3MZ, t7kq3mz), or None."""
    compact = re.sub(r"[\s\-]", "", text.strip()).upper()
    body = compact[1:] if compact.startswith(prefix) else ""
    if len(body) != REFERENCE_LENGTH or any(ch not in ALPHABET for ch in body):
        return None
    return f"{prefix}-{body}"


def new_draft_token() -> str:
    """A token naming one draft, so a double-tapped Submit makes one ticket."""
    return secrets.token_urlsafe(12)


def new_invite_code() -> str:
    """A fresh officer invite code, shown as XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(INVITE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, INVITE_LENGTH, 4))


def normalise_invite(text: str) -> str | None:
    """An invite code's characters in upper case, or None if the text cannot be one."""
    compact = re.sub(r"[\s\-_.]", "", text.strip()).upper()
    if len(compact) != INVITE_LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return compact


def invite_hash(keyring: Keyring, code: str) -> str:
    """The keyed hash stored for an invite code (give it the normalised code)."""
    return keyring.digest("officer-invite", code)
