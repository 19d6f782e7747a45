"""A ticket's page and its actions: claim, reply, note, attach, close, reopen, assign.

An officer opens a ticket they hold (a lead: any) in full; an unclaimed one shows its
group summary and "Claim"; anything else is "not found", as an unknown reference is.
Every action is a form POST that redirects back to the page (or says why not).
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from sendbot.adapters.web.console.guard import PREFIX, app_of, requires, signed_in, uow_of
from sendbot.adapters.web.console.inbox import KIND_LABELS
from sendbot.adapters.web.console.pages import render
from sendbot.core.escalation import tickets as ticketing
from sendbot.core.escalation.officers import may_list, may_open
from sendbot.core.escalation.references import read_reference
from sendbot.core.inbox import actions, sla, view
from sendbot.core.inbox.canned import canned_replies
from sendbot.storage.models import Ticket

REPLY_CHARS = 4000


def _field(form: Mapping[str, object], name: str, limit: int = REPLY_CHARS) -> str:
    """A text field of a form, trimmed."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def _ticket(request: web.Request, full: bool) -> Ticket | None:
    """The page's ticket if this officer may see it (in full, if asked), else None."""
    reference = read_reference(request.match_info["reference"])
    if reference is None:
        return None
    ticket = await uow_of(request).tickets.by_reference(reference)
    officer = signed_in(request).officer
    if ticket is None:
        return None
    allowed = may_open(officer, ticket) if full else may_list(officer, ticket)
    return ticket if allowed else None


def _not_found(request: web.Request) -> web.StreamResponse:
    """One answer for unknown and not-yours alike."""
    return render(request, "console/refused.html", {"why": "missing"}, status=404)


def _back(ticket: Ticket, done: str) -> web.HTTPSeeOther:
    """Back to the ticket's page, saying what happened."""
    return web.HTTPSeeOther(f"{PREFIX}/tickets/{ticket.reference}?done={done}")


DONE = {
    "claimed": "You have claimed this ticket.",
    "replied": "Your reply is on its way to the parent.",
    "noted": "Your note is saved. Parents never see notes.",
    "attached": "The entry is on its way to the parent.",
    "closed": "The ticket is closed. The parent has been asked to rate the help.",
    "reopened": "The ticket is open again.",
    "assigned": "The ticket is assigned.",
    "taken": "Someone else claimed this ticket first.",
    "empty": "Write something first.",
}


@requires("officer")
async def page(request: web.Request) -> web.StreamResponse:
    """The ticket: its summary and Claim, or in full with the forms to work it."""
    services = app_of(request).services
    uow = uow_of(request)
    ticket = await _ticket(request, full=False)
    if ticket is None:
        return _not_found(request)
    officer = signed_in(request).officer
    full = may_open(officer, ticket)
    shown = await (view.full if full else view.summary_read)(uow, services, ticket, officer)
    canned = canned_replies(services.settings.knowledge_dir)
    chosen = next((c for c in canned if c.id == request.query.get("canned")), None)
    context = {
        "view": shown,
        "full": full,
        "labels": sla.LABELS,
        "kind_names": KIND_LABELS,
        "canned": canned,
        "draft": chosen.for_ticket(ticket.reference) if chosen else "",
        "entries": sorted(services.kb.entries.values(), key=lambda e: e.title),
        "officers": [o for o in await uow.tickets.officers() if o.id != ticket.officer_id],
        "done": DONE.get(request.query.get("done", "")),
        "stage_name": (
            services.texts.get(f"cases.stage_names.{shown.case_stage}") if shown.case_stage else ""
        ),
    }
    return render(request, "console/ticket.html", context)


@requires("officer")
async def claim(request: web.Request) -> web.StreamResponse:
    """Claim an unclaimed ticket."""
    ticket = await _ticket(request, full=False)
    if ticket is None:
        return _not_found(request)
    done = await actions.claim(
        uow_of(request), app_of(request).services, ticket, signed_in(request).officer
    )
    raise _back(ticket, "claimed" if done else "taken")


async def _held(request: web.Request) -> Ticket:
    """The ticket of an action only its holder (or a lead) may take; else not found."""
    ticket = await _ticket(request, full=True)
    if ticket is None:
        raise web.HTTPNotFound(text="Not found")
    return ticket


@requires("officer")
async def reply(request: web.Request) -> web.StreamResponse:
    """Send a reply to the parent, on their channel."""
    ticket = await _held(request)
    text = _field(await request.post(), "reply")
    if not text:
        raise _back(ticket, "empty")
    services = app_of(request).services
    await ticketing.officer_reply(
        uow_of(request), services, ticket, signed_in(request).officer, text
    )
    raise _back(ticket, "replied")


@requires("officer")
async def attach(request: web.Request) -> web.StreamResponse:
    """Send the parent a knowledge entry."""
    ticket = await _held(request)
    services = app_of(request).services
    entry_id = _field(await request.post(), "entry", 80)
    if services.kb.get(entry_id) is None:
        raise _back(ticket, "empty")
    officer = signed_in(request).officer
    await ticketing.officer_reply(uow_of(request), services, ticket, officer, entry_id=entry_id)
    raise _back(ticket, "attached")


@requires("officer")
async def note(request: web.Request) -> web.StreamResponse:
    """Keep an internal note."""
    ticket = await _held(request)
    text = _field(await request.post(), "note")
    if not text:
        raise _back(ticket, "empty")
    services = app_of(request).services
    await actions.add_note(uow_of(request), services, ticket, signed_in(request).officer, text)
    raise _back(ticket, "noted")


@requires("officer")
async def close(request: web.Request) -> web.StreamResponse:
    """Close the ticket; the parent is told and asked to rate."""
    ticket = await _held(request)
    services = app_of(request).services
    await ticketing.close_by_officer(uow_of(request), services, ticket, signed_in(request).officer)
    raise _back(ticket, "closed")


@requires("officer")
async def reopen(request: web.Request) -> web.StreamResponse:
    """Open a closed ticket again."""
    ticket = await _held(request)
    services = app_of(request).services
    await actions.reopen(uow_of(request), services, ticket, signed_in(request).officer)
    raise _back(ticket, "reopened")


@requires("lead")
async def assign(request: web.Request) -> web.StreamResponse:
    """A lead assigns (or reassigns) the ticket to an officer."""
    ticket = await _held(request)
    uow = uow_of(request)
    raw = _field(await request.post(), "officer", 12)
    to = await uow.tickets.officer(int(raw)) if raw.isdigit() else None
    if to is None or not to.active:
        raise _back(ticket, "empty")
    services = app_of(request).services
    await actions.assign(uow, services, ticket, signed_in(request).officer, to)
    raise _back(ticket, "assigned")
