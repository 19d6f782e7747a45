"""Delivery statuses from the webhook: a message Meta accepted, then could not deliver.

Meta answers a send with a message id and may report later, in a status, that it failed
(131047 re-engagement, 131026 undeliverable, 131049 ecosystem limits, ...). The outbox kept
that id as a keyed hash; a failed status marks the row undelivered ("code N", never Meta's
text), so the officer's view stops saying delivered, and a code meaning the number cannot be
reached marks the conversation inactive, as a refused send does. Other statuses (sent,
delivered, read) and ids the outbox does not hold change nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from sendbot.adapters.whatsapp.delivery import GONE_CODES
from sendbot.adapters.whatsapp.translate import CHANNEL
from sendbot.core.keyring import Keyring
from sendbot.core.outbox import mark_undelivered
from sendbot.storage.db import Database
from sendbot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

FAILED = "failed"


def error_code(status: dict[str, Any]) -> int | None:
    """The first numeric error code of a status, if any."""
    for error in status.get("errors") or []:
        code = error.get("code") if isinstance(error, dict) else None
        if isinstance(code, int) and not isinstance(code, bool):
            return code
    return None


async def record_status(database: Database, keyring: Keyring, status: dict[str, Any]) -> bool:
    """Apply one status to the outbox; True if it marked a sent message undelivered."""
    message_id = status.get("id")
    if status.get("status") != FAILED or not isinstance(message_id, str) or not message_id:
        return False
    code = error_code(status)
    reason = f"code {code}" if code is not None else "no code"

    async def settle(uow: UnitOfWork) -> bool:
        row = await mark_undelivered(uow, keyring, CHANNEL, message_id, reason)
        if row is None:
            return False
        if code in GONE_CODES:
            chat_key = keyring.chat_key(CHANNEL, keyring.decrypt(row.chat_ref))
            await uow.conversations.mark_inactive(chat_key)
        return True

    marked = await database.run(settle)
    log.warning(
        "WhatsApp reports a message undelivered (code %s)%s",
        code, "; its outbox row is marked" if marked else "",
    )  # fmt: skip
    return marked
