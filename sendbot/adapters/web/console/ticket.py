"""A ticket's page and its actions: claim, reply, note, attach, close, reopen, assign.

An officer opens a ticket they hold (a lead: any) in full; an unclaimed one shows its
group summary and "Claim"; anything else is "not found", as an unknown reference is.
Every action is a form POST to the escalation service (as the chat flows use) that
redirects back to the page saying what happened, or why not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from sendbot.adapters.web.console.guard import PREFIX, app_of, requires, signed_in, uow_of
from sendbot.adapters.web.console.inbox import KIND_LABELS
from sendbot.adapters.web.console.pages import render
from sendbot.core.escalation.notices import Desk
from sendbot.core.escalation.officers import may_list, may_open
from sendbot.core.escalation.references import read_reference
from sendbot.core.escalation.results import (
    AlreadyClaimed,
    EmptyText,
    EscalationError,
    TextTooLong,
    TicketClosed,
    TicketNotFound,
)
from sendbot.core.escalation.service import officers as service
from sendbot.core.flows.ticket_notices import chat_desk
from sendbot.core.inbox import actions, sla, view
from sendbot.core.inbox.canned import canned_replies
from sendbot.storage.models import Officer, Ticket
from sendbot.storage.unit_of_work import UnitOfWork

REPLY_CHARS = 4000
Ref = str | None
Form = Mapping[str, object]
Act = Callable[[UnitOfWork, Desk, Officer, Ref, Form], Awaitable[None]]


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


DONE = {
    "claimed": "You have claimed this ticket.",
    "replied": "Your reply is on its way to the parent.",
    "noted": "Your note is saved. Parents never see notes.",
    "attached": "The entry is on its way to the parent.",
    "closed": "The ticket is closed. The parent has been asked to rate the help.",
    "reopened": "The ticket is open again.",
    "assigned": "The ticket is assigned.",
    "taken": "Someone else claimed this ticket first.",
    "closed_already": "The ticket is closed, so nothing was sent.",
    "empty": "Write something first.",
    "too_long": f"That is too long: {REPLY_CHARS} characters at most.",
    "invalid": "That choice is not available. Nothing was changed.",
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
    shown = await (view.full if full else view.summary_read)(uow, _desk(request), ticket, officer)
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
        "officers": [o for o in await uow.officers.all() if o.id != ticket.officer_id],
        "done": DONE.get(request.query.get("done", "")),
        "stage_name": (
            services.texts.get(f"cases.stage_names.{shown.case_stage}") if shown.case_stage else ""
        ),
    }
    return render(request, "console/ticket.html", context)


def _desk(request: web.Request) -> Desk:
    """The escalation service's desk: people are told on their channels, as from chat."""
    return chat_desk(app_of(request).services)


async def _act(request: web.Request, done: str, act: Act) -> web.StreamResponse:
    """Run one service action on the page's ticket; back to the page saying what happened."""
    reference = read_reference(request.match_info["reference"])
    form = await request.post()
    try:
        await act(uow_of(request), _desk(request), signed_in(request).officer, reference, form)
    except TicketNotFound:
        return _not_found(request)
    except EscalationError as error:
        raise _back_to(reference or "", REFUSED.get(type(error), "invalid")) from None
    raise _back_to(reference or "", done)


def _back_to(reference: str, done: str) -> web.HTTPSeeOther:
    """Back to a ticket's page, saying what happened."""
    return web.HTTPSeeOther(f"{PREFIX}/tickets/{reference}?done={done}")


REFUSED: dict[type[EscalationError], str] = {
    AlreadyClaimed: "taken",
    TicketClosed: "closed_already",
    EmptyText: "empty",
    TextTooLong: "too_long",
}


@requires("officer")
async def claim(request: web.Request) -> web.StreamResponse:
    """Claim an unclaimed ticket."""

    async def act(uow: UnitOfWork, desk: Desk, officer: Officer, ref: Ref, form: Form) -> None:
        await service.claim(uow, desk, officer, ref)

    return await _act(request, "claimed", act)


@requires("officer")
async def reply(request: web.Request) -> web.StreamResponse:
    """Send a reply to the parent, on their channel."""

    async def act(uow: UnitOfWork, desk: Desk, officer: Officer, ref: Ref, form: Form) -> None:
        await service.reply(uow, desk, officer, ref, _field(form, "reply", REPLY_CHARS + 1))

    return await _act(request, "replied", act)


@requires("officer")
async def attach(request: web.Request) -> web.StreamResponse:
    """Send the parent a knowledge entry."""

    async def act(uow: UnitOfWork, desk: Desk, officer: Officer, ref: Ref, form: Form) -> None:
        await service.attach(uow, desk, officer, ref, _field(form, "entry", 80))

    return await _act(request, "attached", act)


@requires("officer")
async def note(request: web.Request) -> web.StreamResponse:
    """Keep an internal note (the holder or a lead)."""

    async def act(uow: UnitOfWork, desk: Desk, officer: Officer, ref: Ref, form: Form) -> None:
        ticket = await service.visible(uow, officer, ref)
        await actions.add_note(uow, desk.services, ticket, officer, _field(form, "note"))

    return await _act(request, "noted", act)


@requires("officer")
async def close(request: web.Request) -> web.StreamResponse:
    """Close the ticket; the parent is told and asked to rate."""

    async def act(uow: UnitOfWork, desk: Desk, officer: Officer, ref: Ref, form: Form) -> None:
        await service.close(uow, desk, officer, ref)

    return await _act(request, "closed", act)


@requires("officer")
async def reopen(request: web.Request) -> web.StreamResponse:
    """Open a closed ticket again."""

    async def act(uow: UnitOfWork, desk: Desk, officer: Officer, ref: Ref, form: Form) -> None:
        ticket = await service.visible(uow, officer, ref)
        await actions.reopen(uow, desk.services, ticket, officer)

    return await _act(request, "reopened", act)


@requires("lead")
async def assign(request: web.Request) -> web.StreamResponse:
    """A lead assigns (or reassigns) the ticket to an officer."""

    async def act(uow: UnitOfWork, desk: Desk, officer: Officer, ref: Ref, form: Form) -> None:
        await service.reassign(uow, desk, officer, ref, _field(form, "officer", 12))

    return await _act(request, "assigned", act)
