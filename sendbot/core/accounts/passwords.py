"""Passwords, hashed with argon2id (argon2-cffi), checked off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256
_HASHER = PasswordHasher()
# Checked when no account matches, so a wrong e-mail takes as long as a wrong password.
_DECOY = _HASHER.hash("sendbot decoy password, never anyone's")


def problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"Your password must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"Your password must be {MAX_LENGTH} characters or fewer"
    return None


async def hash_password(password: str) -> str:
    """The argon2id hash of a password (in a worker thread: it takes tens of milliseconds)."""
    return await asyncio.to_thread(_HASHER.hash, password)


def _matches(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def password_matches(stored: str | None, password: str) -> bool:
    """Whether a password matches its hash; a missing hash costs the same and fails."""
    if stored is None:
        await asyncio.to_thread(_matches, _DECOY, password)
        return False
    return await asyncio.to_thread(_matches, stored, password[:MAX_LENGTH])
