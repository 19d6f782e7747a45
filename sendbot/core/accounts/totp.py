"""The second factor: time-based one-time codes (pyotp), each accepted once."""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import pyotp

ISSUER = "sendbot"
DRIFT_STEPS = 1  # a code from the 30 seconds before or after is accepted too
_CODE = re.compile(r"\d{6}")


def new_secret() -> str:
    """A fresh random base32 secret."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, account_name: str, issuer: str = ISSUER) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalise(code: str) -> str:
    """A typed code without spaces or dashes."""
    return re.sub(r"[\s-]", "", code)


def matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step a code belongs to if it is right and newer than `after`, else None."""
    code = normalise(code)
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        expected = totp.at(now, counter_offset=offset)
        if hmac.compare_digest(expected.encode(), code.encode()):
            found = current + offset
    if found is None or (after is not None and found <= after):
        return None
    return found
