"""Case lookup: a case by its reference, with the statutory clock."""

from __future__ import annotations

from aiohttp import web

from sendbot.adapters.web.console.guard import app_of, requires, signed_in, uow_of
from sendbot.adapters.web.console.pages import render
from sendbot.adapters.web.render import safe_html
from sendbot.core.inbox.case_lookup import look_up


@requires("officer")
async def page(request: web.Request) -> web.StreamResponse:
    """The lookup form, and the case if a reference was given."""
    reference = (request.query.get("reference") or "").strip()[:32]
    found = None
    if reference:
        found = await look_up(
            uow_of(request), app_of(request).services, signed_in(request).officer, reference
        )
    # Cleaned HTML: safe_html keeps only the chat's subset of tags, all text escaped.
    lines = [safe_html(c.line) for c in found.clocks] if found else []
    context = {"reference": reference, "found": found, "lines": lines}
    return render(
        request, "console/cases.html", context, status=404 if reference and not found else 200
    )
