"""Keys: a keyed hash to find chats, and authenticated encryption for data at rest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class KeyMissing(RuntimeError):
    """No secret key was configured where one is required."""


FINGERPRINT_MESSAGE = b"sendbot key fingerprint v1"


def _derive(secret: str, purpose: bytes) -> bytes:
    """Derive a 32-byte subkey for one purpose from the master secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sendbot", info=purpose).derive(
        secret.encode()
    )


def fingerprint(secret: str) -> str:
    """A keyed hash of a constant under a subkey of the secret: names a key, reveals nothing."""
    signer = crypto_hmac.HMAC(_derive(secret, b"fingerprint"), hashes.SHA256())
    signer.update(FINGERPRINT_MESSAGE)
    return signer.finalize().hex()


class Keyring:
    """Encryption keys (newest first) and one stable key for keyed hashes and audit seals.

    Encryption rotates: data is written under the newest secret and read under any listed
    one, and `sendbot keys rotate` re-encrypts old data. Keyed hashes (chat keys, link codes,
    dates of birth) cannot be recomputed without the values they hide, so they use a
    separate hashing secret that does not change when the encryption key does; it
    defaults to the newest secret, which keeps a deployment with a single key as it was.
    """

    def __init__(self, secrets_newest_first: list[str], hash_secret: str | None = None) -> None:
        if not secrets_newest_first or not all(secrets_newest_first):
            raise KeyMissing("a secret key is required")
        stable = hash_secret or secrets_newest_first[0]
        fernets = [
            Fernet(base64.urlsafe_b64encode(_derive(s, b"encrypt"))) for s in secrets_newest_first
        ]
        self._newest = fernets[0]
        self._fernet = MultiFernet(fernets)
        self.key_count = len(fernets)
        self._hash_key = _derive(stable, b"chat-hash")
        self._term_key = _derive(stable, b"ticket-terms")
        self.hash_fingerprint = fingerprint(stable)
        self.encryption_fingerprints = [fingerprint(s) for s in secrets_newest_first]
        audit = [_derive(s, b"audit-chain") for s in (stable, *secrets_newest_first)]
        self.audit_keys = {hashlib.sha256(k).hexdigest()[:8]: k for k in audit}
        self.audit_key_id = hashlib.sha256(audit[0]).hexdigest()[:8]

    def chat_key(self, channel: str, chat_id: str) -> str:
        """Return the stable keyed hash that identifies a chat without storing its id."""
        message = f"{channel}:{chat_id}".encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()

    def digest(self, purpose: str, value: str) -> str:
        """Return a keyed hash of any value for one purpose (codes, references)."""
        message = f"{purpose}:{value}".encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()

    def term(self, word: str) -> str:
        """Return the keyed hash of one search word (a subkey of its own; 128 bits shown)."""
        return hmac.new(self._term_key, word.encode(), hashlib.sha256).hexdigest()[:32]

    def encrypt(self, plaintext: str) -> str:
        """Encrypt text under the newest key."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt text encrypted under any known key."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as error:
            raise ValueError("cannot decrypt: wrong key or damaged data") from error

    def reveal(self, token: str | None) -> str | None:
        """Decrypt a stored value; None if it was erased or no key can read it."""
        if token is None:
            return None
        try:
            return self.decrypt(token)
        except ValueError:
            return None

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as error:
            raise ValueError("cannot decrypt: wrong key or damaged data") from error

    def is_current(self, token: str) -> bool:
        """Whether a token is already encrypted under the newest key."""
        try:
            self._newest.decrypt(token.encode())
        except InvalidToken:
            return False
        return True


def read_or_create_key_file(path: Path) -> str:
    """Return the key in a local file, creating it (mode 600) for the terminal demo."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key
