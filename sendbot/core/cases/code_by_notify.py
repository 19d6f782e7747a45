"""A link code sent by e-mail or text message, for a parent without Telegram.

The code is issued, sent through the Notifier and audited in one transaction: if the
service refuses the message, nothing is saved and the code never existed. With alerts,
the contact is kept as the case's link (keyed hash, address encrypted).
"""

from __future__ import annotations

from datetime import datetime

from sendbot.core import audit
from sendbot.core.cases.issuing import IssuedCode, issue_code
from sendbot.core.cases.timefmt import london_today, long_date
from sendbot.core.keyring import Keyring
from sendbot.core.notifier import Channel, Notifier, keep_for_alerts
from sendbot.storage.db import Database


async def send_code(
    database: Database,
    keyring: Keyring,
    notifier: Notifier,
    *,
    reference: str,
    channel: Channel,
    contact: str,
    council: str,
    now: datetime,
    days: int,
    alerts: bool,
    actor: str,
) -> IssuedCode | None:
    """Issue and send one case's code; None if there is no such case."""
    async with database.unit_of_work() as uow:
        issued = await issue_code(uow, keyring, reference, now, days)
        if issued is None:
            return None
        await notifier.send(
            channel,
            contact,
            "code",
            {
                "code": issued.code,
                "expires": long_date(london_today(issued.expires_at)),
                "council": council,
            },
        )
        case = await uow.cases.by_reference(issued.reference)
        assert case is not None
        kept = alerts and await keep_for_alerts(uow, keyring, case.id, channel, contact, now)
        await audit.append(
            uow.session,
            keyring,
            actor=actor,
            action="case.issue_code",
            subject_type="case",
            subject_id=issued.reference,
            at=now,
            detail={"codes": 1, "sent_by": channel, "kept_for_alerts": bool(kept)},
        )
    return issued
