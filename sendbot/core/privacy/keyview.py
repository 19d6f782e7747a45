"""The configured keys beside the database's, by short fingerprint, for `sendbot keys status`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sendbot.core.keyring import Keyring
from sendbot.core.privacy.fingerprints import RecordedKeys, short


@dataclass(frozen=True)
class KeyView:
    """Which keys are configured and which the database recorded (fingerprints only)."""

    keyring: Keyring
    recorded: RecordedKeys

    def as_json(self) -> dict[str, Any]:
        """Short fingerprints, configured and recorded."""
        return {
            "hash": {
                "configured": short(self.keyring.hash_fingerprint),
                "database": short(self.recorded.hash) if self.recorded.hash else None,
            },
            "encryption": {
                "configured": [short(f) for f in self.keyring.encryption_fingerprints],
                "database": sorted(short(f) for f in self.recorded.encryption),
            },
        }

    def lines(self) -> list[str]:
        """One line per key, saying whether it matches the database."""
        hashed = self.recorded.hash
        verdict = (
            "not recorded yet"
            if hashed is None
            else "matches the database"
            if hashed == self.keyring.hash_fingerprint
            else f"DOES NOT MATCH the database's {short(hashed)}"
        )
        lines = [f"hashing key     {short(self.keyring.hash_fingerprint)}  {verdict}"]
        configured = self.keyring.encryption_fingerprints
        for index, fingerprint in enumerate(configured):
            label = "encryption key" if index == 0 else "old key       "
            state = "recorded" if fingerprint in self.recorded.encryption else "not recorded"
            lines.append(f"{label}  {short(fingerprint)}  {state}")
        for fingerprint in sorted(self.recorded.encryption - set(configured)):
            lines.append(
                f"MISSING key     {short(fingerprint)}  data may be under it; not configured"
            )
        return lines
