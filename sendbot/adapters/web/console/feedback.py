"""The Local Offer "you said, we did" queue for leads: feedback, and what the council did."""

from __future__ import annotations

from aiohttp import web

from sendbot.adapters.web.console.guard import PREFIX, app_of, requires, signed_in, uow_of
from sendbot.adapters.web.console.pages import render
from sendbot.core.escalation.results import FeedbackNotFound
from sendbot.core.escalation.service import feedback as service
from sendbot.core.flows.ticket_notices import chat_desk

SHOWN = 50
RESPONSE_CHARS = 2000


@requires("lead")
async def page(request: web.Request) -> web.StreamResponse:
    """The newest feedback (redacted when kept), each with what we did, editable."""
    services = app_of(request).services
    found = await service.latest(
        uow_of(request), chat_desk(services), signed_in(request).officer, SHOWN
    )
    items = [
        {"item": item, "text": text or "", "did": services.keyring.reveal(item.response) or ""}
        for item, text in found.items
    ]
    saved = request.query.get("saved", "")[:16]
    context = {"items": items, "total": found.total, "saved": saved}
    return render(request, "console/feedback.html", context)


@requires("lead")
async def respond(request: web.Request) -> web.StreamResponse:
    """Save what the council did about one piece of feedback."""
    services = app_of(request).services
    reference = request.match_info["reference"][:16]
    text = (await request.post()).get("did")
    did = text.strip()[:RESPONSE_CHARS] if isinstance(text, str) else ""
    try:
        item = await service.respond(
            uow_of(request), chat_desk(services), signed_in(request).officer, reference, did
        )
    except FeedbackNotFound:
        raise web.HTTPSeeOther(f"{PREFIX}/feedback?saved=none") from None
    raise web.HTTPSeeOther(f"{PREFIX}/feedback?saved={item.reference}#{item.reference}")
