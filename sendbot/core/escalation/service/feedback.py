"""Local Offer feedback for officers: the newest, redacted, and what the council did."""

from __future__ import annotations

from datetime import datetime

from sendbot.core import audit
from sendbot.core.escalation.notices import Desk
from sendbot.core.escalation.officers import record
from sendbot.core.escalation.references import read_reference
from sendbot.core.escalation.results import FeedbackNotFound, FeedbackPage, PublishedFeedback
from sendbot.core.keyring import Keyring
from sendbot.storage.models import OfferFeedback, Officer
from sendbot.storage.unit_of_work import UnitOfWork


async def export(
    uow: UnitOfWork,
    keyring: Keyring,
    now: datetime,
    actor: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[PublishedFeedback]:
    """The "you said, we did" list of a period, oldest first; erased items are left out.

    The export is audited under `actor` (who ran it), with how many items it held.
    """
    items = await uow.offer_feedback.in_period(since=since, until=until)
    await audit.append(
        uow.session,
        keyring,
        actor=actor,
        action="feedback.export",
        subject_type="feedback",
        subject_id="export",
        at=now,
        detail={"count": len(items)},
    )
    return [
        PublishedFeedback(
            reference=item.reference,
            received=item.received_at,
            you_said=keyring.reveal(item.text) or "",
            we_did=keyring.reveal(item.response) or "",
        )
        for item in items
        if item.text
    ]


async def latest(uow: UnitOfWork, desk: Desk, officer: Officer, limit: int) -> FeedbackPage:
    """The newest feedback, decrypted (it was redacted when kept); the read is audited."""
    recent = await uow.offer_feedback.latest(limit)
    await record(
        uow,
        desk.services,
        officer,
        "feedback.list",
        "recent",
        subject_type="feedback",
        count=len(recent),
    )
    total = await uow.offer_feedback.count() if recent else 0
    keyring = desk.services.keyring
    return FeedbackPage(items=[(item, keyring.reveal(item.text)) for item in recent], total=total)


async def respond(
    uow: UnitOfWork, desk: Desk, officer: Officer, reference: str, text: str
) -> OfferFeedback:
    """Record what the council did about one piece of feedback."""
    found = read_reference(reference, "F") if reference else None
    item = await uow.offer_feedback.by_reference(found) if found else None
    if item is None or not text:
        raise FeedbackNotFound(reference)
    item.response = desk.services.keyring.encrypt(text)
    item.responded_at = desk.now()
    await record(
        uow, desk.services, officer, "feedback.respond", item.reference, subject_type="feedback"
    )
    return item
