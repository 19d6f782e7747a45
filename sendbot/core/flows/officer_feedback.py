"""Local Offer feedback for officers in chat: /feedback lists it, /wedid answers it."""

from __future__ import annotations

from sendbot.core.dialogue import Turn
from sendbot.core.escalation.results import FeedbackNotFound
from sendbot.core.escalation.service import feedback
from sendbot.core.escalation.tickets import when
from sendbot.core.flows.officer_access import desk_for, officers_only
from sendbot.storage.models import Officer

FEEDBACK_LIMIT = 10


@officers_only()
async def feedback_command(turn: Turn, officer: Officer) -> None:
    """/feedback: the latest Local Offer feedback (redacted), its own queue."""
    services = turn.services
    page = await feedback.latest(turn.uow, desk_for(turn), officer, FEEDBACK_LIMIT)
    if not page.items:
        turn.say("escalation.officer.no_feedback")
        return
    lines = [turn.t("escalation.officer.feedback_head", count=page.total)]
    for item, text in page.items:
        lines.append(
            turn.t(
                "escalation.officer.feedback_line",
                reference=item.reference,
                at=when(item.received_at),
                text=services.texts.get("escalation.erased") if text is None else text,
                answered=turn.t("escalation.officer.feedback_answered") if item.response else "",
            )
        )
    lines.append(turn.t("escalation.officer.feedback_how"))
    turn.reply("\n\n".join(lines))


@officers_only()
async def wedid_command(turn: Turn, officer: Officer) -> None:
    """/wedid F-REF text: record what the council did about a piece of feedback."""
    parts = turn.inbound.argument.split(maxsplit=1)
    reference = parts[0] if parts else ""
    text = parts[1].strip() if len(parts) > 1 else ""
    try:
        item = await feedback.respond(turn.uow, desk_for(turn), officer, reference, text)
    except FeedbackNotFound:
        turn.say("escalation.officer.wedid_usage")
        return
    turn.say("escalation.officer.wedid_saved", reference=item.reference)
