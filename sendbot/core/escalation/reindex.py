"""Rebuild the inbox's search hashes from the tickets' texts, in small batches.

Needed once for tickets from before the search index (a migration has no keys to hash
with). The hashes use the stable hashing key, which key rotation never changes (a
process whose hashing key is not the database's refuses to start or rotate), so
rotating the encryption key leaves them valid.
"""

from __future__ import annotations

from sendbot.core.escalation.terms import hashes
from sendbot.core.keyring import Keyring
from sendbot.storage.db import Database


async def rebuild_terms(database: Database, keyring: Keyring, batch: int = 200) -> int:
    """Recompute every ticket's search hashes from its decrypted texts; how many tickets."""
    after, done = 0, 0
    while True:
        async with database.unit_of_work() as uow:
            found = await uow.terms.texts_to_index(after, batch)
            for ticket_id, tokens in found:
                texts = [keyring.reveal(token) for token in tokens]
                await uow.terms.replace(ticket_id, hashes(keyring, texts))
        if not found:
            return done
        after, done = found[-1][0], done + len(found)
