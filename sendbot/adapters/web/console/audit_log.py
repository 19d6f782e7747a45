"""The audit log viewer for leads, with `audit verify`'s result."""

from __future__ import annotations

from aiohttp import web

from sendbot.adapters.web.console.guard import app_of, requires, signed_in, uow_of
from sendbot.adapters.web.console.pages import render
from sendbot.core.escalation.officers import record
from sendbot.core.inbox.audit_view import check, recent


def _filter(request: web.Request, name: str) -> str | None:
    """A short filter value from the query string."""
    return (request.query.get(name) or "").strip()[:64] or None


@requires("lead")
async def page(request: web.Request) -> web.StreamResponse:
    """The newest audit records (filtered by actor, subject or action) and the chain's check."""
    services = app_of(request).services
    uow = uow_of(request)
    filters = {name: _filter(request, name) for name in ("actor", "subject", "action")}
    verdict = await check(uow, services.keyring)
    rows = await recent(
        uow, actor=filters["actor"], subject=filters["subject"], action=filters["action"]
    )
    await record(
        uow, services, signed_in(request).officer, "audit.view", "audit", subject_type="audit",
        **{k: v for k, v in filters.items() if v},
    )  # fmt: skip
    return render(request, "console/audit.html", {"verdict": verdict, "rows": rows, **filters})
