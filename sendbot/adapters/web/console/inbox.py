"""The inbox page: tickets by due date with their state, filters, and a search box."""

from __future__ import annotations

from aiohttp import web

from sendbot.adapters.web.console.guard import app_of, requires, signed_in, uow_of
from sendbot.adapters.web.console.pages import render
from sendbot.core.escalation.officers import record
from sendbot.core.inbox import sla
from sendbot.core.inbox.listing import KINDS, Filters, inbox

KIND_LABELS = {
    "question": "Question",
    "complaint": "Complaint",
    "offer": "Local Offer feedback",
    "urgent": "Urgent",
}


def filters_of(request: web.Request) -> Filters:
    """The inbox's filters from the query string (anything unknown is ignored)."""
    query = request.query
    kind = query.get("kind") or None
    state = query.get("state") or None
    page = query.get("page", "1")
    return Filters(
        kind=kind if kind in KINDS else None,
        state=state if state in sla.STATES else None,
        mine=query.get("mine") == "1",
        unassigned=query.get("unassigned") == "1",
        reference=(query.get("reference") or "").strip()[:20] or None,
        search=(query.get("q") or "").strip()[:200] or None,
        page=int(page) if page.isdigit() and len(page) < 6 else 1,
    )


@requires("officer")
async def page(request: web.Request) -> web.StreamResponse:
    """The inbox."""
    app = app_of(request)
    services = app.services
    current = signed_in(request)
    uow = uow_of(request)
    filters = filters_of(request)
    listing = await inbox(uow, current.officer, filters, services.clock(), services.keyring)
    # A search is a read like any page of the inbox: audited with how many it found,
    # never with what was typed.
    searched = {"matched": listing.total} if filters.search else {}
    await record(
        uow,
        services,
        current.officer,
        "console.search" if filters.search else "console.inbox",
        "inbox",
        subject_type="page",
        page=listing.page,
        shown=len(listing.rows),
        **searched,
    )
    names = {o.id: o.name or f"#{o.id}" for o in await uow.officers.all(active_only=False)}
    context = {
        "listing": listing,
        "filters": filters,
        "kinds": KINDS,
        "states": sla.STATES,
        "labels": sla.LABELS,
        "names": names,
        "kind_names": KIND_LABELS,
    }
    return render(request, "console/inbox.html", context)
