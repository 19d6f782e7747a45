"""Which secrets make up the keyring: the newest key, older ones, and the hashing key."""

from __future__ import annotations

from sendbot.config import Settings
from sendbot.core.keyring import KeyMissing, Keyring
from sendbot.storage.db import Database


def split_keys(value: str) -> list[str]:
    """Comma-separated keys, blanks dropped."""
    return [part.strip() for part in value.split(",") if part.strip()]


def secrets_from_settings(settings: Settings) -> tuple[list[str], str | None]:
    """The encryption secrets newest first, and the hashing secret if one is set."""
    if settings.secret_key is None or not settings.secret_key.get_secret_value().strip():
        raise KeyMissing("SENDBOT_SECRET_KEY is not set")
    newest = settings.secret_key.get_secret_value().strip()
    old = (
        split_keys(settings.old_secret_keys.get_secret_value()) if settings.old_secret_keys else []
    )
    secrets = [newest, *(key for key in old if key != newest)]
    hashing = settings.hash_key.get_secret_value().strip() if settings.hash_key else ""
    return secrets, hashing or None


def keyring_from_settings(settings: Settings) -> Keyring:
    """A keyring from SENDBOT_SECRET_KEY, SENDBOT_OLD_SECRET_KEYS and SENDBOT_HASH_KEY."""
    secrets, hashing = secrets_from_settings(settings)
    return Keyring(secrets, hash_secret=hashing)


async def check_hashing_key(database: Database, keyring: Keyring) -> None:
    """Refuse to start when stored chat keys no longer match the hashing key in use.

    That happens when SENDBOT_SECRET_KEY was changed without setting SENDBOT_HASH_KEY to
    the old one: every parent would look new and their case links would be lost.
    """
    from sendbot.core.privacy.rotation import hashes_match

    checked, matching = await hashes_match(database, keyring)
    if checked and not matching:
        raise KeyMissing(
            "the stored chat keys do not match the hashing key: SENDBOT_SECRET_KEY was "
            "probably changed without setting SENDBOT_HASH_KEY to the previous key. "
            "See `sendbot keys --help`."
        )
