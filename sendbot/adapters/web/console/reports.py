"""Leads' pages: the service-level report (page with a chart, and CSV) and knowledge gaps."""

from __future__ import annotations

from aiohttp import web

from sendbot.adapters.web.console.guard import app_of, requires, signed_in, uow_of
from sendbot.adapters.web.console.inbox import KIND_LABELS
from sendbot.adapters.web.console.pages import render
from sendbot.core.answers import gaps as answer_gaps
from sendbot.core.escalation.officers import record
from sendbot.core.inbox.reports import ALL, Line, as_csv, report

CHART_WIDTH = 400


def _chart(lines: list[Line]) -> list[dict[str, object]]:
    """Bars for tickets received per month (every kind), widths in chart units."""
    months = [line for line in lines if line.kind == ALL][:12]
    top = max((line.received for line in months), default=0) or 1
    return [
        {
            "month": line.month,
            "received": line.received,
            "width": max(1, round(CHART_WIDTH * line.received / top)),
            "y": 28 * i,
        }
        for i, line in enumerate(reversed(months))
    ]


@requires("lead")
async def page(request: web.Request) -> web.StreamResponse:
    """The report page."""
    services = app_of(request).services
    uow = uow_of(request)
    lines = await report(uow, services.clock())
    await record(uow, services, signed_in(request).officer, "report.view", "sla", "report")
    kinds = {ALL: "All kinds", **KIND_LABELS}
    context = {"lines": lines, "kinds": kinds, "chart": _chart(lines), "width": CHART_WIDTH}
    return render(request, "console/reports.html", context)


@requires("lead")
async def csv_file(request: web.Request) -> web.StreamResponse:
    """The same report as CSV."""
    services = app_of(request).services
    uow = uow_of(request)
    lines = await report(uow, services.clock())
    await record(uow, services, signed_in(request).officer, "report.export", "sla", "report")
    return web.Response(
        text=as_csv(lines),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="sendbot-report.csv"'},
    )


@requires("lead")
async def gaps(request: web.Request) -> web.StreamResponse:
    """The questions the bot could not answer confidently, most frequent first (redacted)."""
    services = app_of(request).services
    rows = await answer_gaps.for_officer(uow_of(request), services, signed_in(request).officer)
    days = answer_gaps.GAP_RETENTION_DAYS
    return render(request, "console/gaps.html", {"rows": rows, "days": days})
