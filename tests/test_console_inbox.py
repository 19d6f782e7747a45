"""The console's inbox and ticket page over HTTP: a Telegram parent's ticket worked end to end."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from sendbot.app import App, open_app
from sendbot.clock import FrozenClock
from sendbot.config import Settings
from sendbot.core.inbox import sla
from sendbot.core.outbox import deliver_due
from sendbot.storage.models import OutboxMessage, Ticket
from tests.consoleclient import ConsoleClient, signed_in_officer
from tests.test_escalation import Person, Sender, escalate

EMAIL = "sam.officer@testshire.gov.uk"


@pytest.fixture
async def console_app(settings: Settings, frozen_clock: FrozenClock) -> AsyncIterator[App]:
    plain = settings.model_copy(update={"web_cookie_secure": False, "officers_chat_id": -100})
    async with open_app(plain, clock=frozen_clock) as app:
        yield app


async def delivered(app: App, clock: FrozenClock) -> Sender:
    sender = Sender()
    await deliver_due(app.database, app.services.keyring, sender, clock() + timedelta(days=1))
    return sender


async def ticket_page(client: ConsoleClient, reference: str) -> str:
    return html.unescape(await client.get(f"/officers/tickets/{reference}"))


async def test_claim_reply_note_close_and_reopen(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    parent = Person(console_app, "501")
    reference, _ = await escalate(parent, text="Who decides on my EHCP? My son Tom is 7.")
    async with signed_in_officer(console_app, frozen_clock, EMAIL) as client:
        inbox = await client.get("/officers")
        assert f'<a href="/officers/tickets/{reference}">{reference}</a>' in inbox
        summary = await ticket_page(client, reference)
        assert "Claim" in summary and "Send reply" not in summary
        claimed = await client.post(f"/officers/tickets/{reference}/claim", {})
        assert claimed.status == 303
        page = await ticket_page(client, reference)
        assert "Who decides on my EHCP? My son Tom is 7." in page and "Send reply" in page
        replied = await client.post(
            f"/officers/tickets/{reference}/reply", {"reply": "The panel decides <b>soon</b>."}
        )
        assert replied.status == 303
        await client.post(f"/officers/tickets/{reference}/note", {"note": "Check the panel date."})
        page = await ticket_page(client, reference)
        assert "Internal note" in page and "Check the panel date." in page
        assert "The panel decides <b>soon</b>." in page  # escaped on the page, shown as typed
        assert "<b>soon</b>" not in await client.get(f"/officers/tickets/{reference}")
        assert "Waiting for parent" in page
        closed = await client.post(f"/officers/tickets/{reference}/close", {})
        assert closed.status == 303
        assert "Reopen ticket" in await ticket_page(client, reference)
        await client.post(f"/officers/tickets/{reference}/reopen", {})
        assert "Close ticket" in await ticket_page(client, reference)
    sent = await delivered(console_app, frozen_clock)
    to_parent = "\n".join(m.html for m in sent.to("501"))
    assert "The panel decides &lt;b&gt;soon&lt;/b&gt;." in to_parent
    assert "Check the panel date." not in to_parent
    async with console_app.database.unit_of_work() as uow:
        rows = (await uow.session.execute(select(OutboxMessage))).scalars()
        bodies = [console_app.services.keyring.reveal(m.html) or m.html for m in rows]
    assert bodies and not any("Check the panel date" in body for body in bodies)


async def test_another_officers_ticket_is_not_found_and_a_lead_sees_it(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    reference, _ = await escalate(Person(console_app, "501"))
    async with signed_in_officer(console_app, frozen_clock, EMAIL) as first:
        await first.get("/officers")
        await first.post(f"/officers/tickets/{reference}/claim", {})
    async with signed_in_officer(console_app, frozen_clock, "other@testshire.gov.uk") as other:
        assert reference not in await other.get("/officers")
        await other.get(f"/officers/tickets/{reference}", status=404)
        await other.get("/officers/tickets/T-NOSUCH", status=404)
        await other.get("/officers")
        forbidden = await other.post(f"/officers/tickets/{reference}/reply", {"reply": "hi"})
        assert forbidden.status == 404
    async with signed_in_officer(
        console_app, frozen_clock, "lee.lead@testshire.gov.uk", "lead"
    ) as lead:
        assert reference in await lead.get("/officers")
        page = await ticket_page(lead, reference)
        assert "Assign to" in page


async def test_filters_and_search_by_reference(console_app: App, frozen_clock: FrozenClock) -> None:
    question, _ = await escalate(Person(console_app, "501"))
    complaint, _ = await escalate(Person(console_app, "502"), kind="complaint")
    async with signed_in_officer(console_app, frozen_clock, EMAIL) as client:
        only = await client.get("/officers?kind=complaint")
        assert complaint in only and question not in only
        found = await client.get(f"/officers?reference={question.lower()}")
        assert question in found and complaint not in found
        assert question not in await client.get("/officers?mine=1")
        assert question in await client.get("/officers?unassigned=1")
        assert question in await client.get("/officers?state=on_time")
        assert question not in await client.get("/officers?state=overdue")


def test_sla_states() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert sla.state("open", now - timedelta(minutes=1), None, now) == "overdue"
    assert sla.state("open", now + timedelta(hours=7), None, now) == "due_today"
    assert sla.state("open", now + timedelta(days=1), None, now) == "on_time"
    assert sla.state("claimed", now - timedelta(days=1), "officer", now) == "paused"
    assert sla.state("claimed", now - timedelta(days=1), "parent", now) == "overdue"
    assert sla.state("closed", now, None, now) == "closed"


async def test_tickets_in_the_inbox_are_soonest_due_first(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    urgent, _ = await escalate(Person(console_app, "501"), kind="question")
    frozen_clock.advance(timedelta(minutes=5))
    later, _ = await escalate(Person(console_app, "502"), kind="urgent")
    async with console_app.database.unit_of_work() as uow:
        due = {t.reference: t.due_at for t in (await uow.session.execute(select(Ticket))).scalars()}
    assert due[later] < due[urgent]
    async with signed_in_officer(console_app, frozen_clock, EMAIL) as client:
        page = await client.get("/officers")
        assert page.index(later) < page.index(urgent)


async def test_a_parents_erasure_erases_the_notes_on_their_tickets(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    from sendbot.storage.models import TicketNote

    parent = Person(console_app, "501")
    reference, _ = await escalate(parent)
    async with signed_in_officer(console_app, frozen_clock, EMAIL) as client:
        await client.get("/officers")
        await client.post(f"/officers/tickets/{reference}/claim", {})
        await client.post(f"/officers/tickets/{reference}/note", {"note": "Private note."})
    async with console_app.database.unit_of_work() as uow:
        ticket = (
            await uow.session.execute(select(Ticket).where(Ticket.reference == reference))
        ).scalar_one()
        assert ticket.parent_key is not None
        await uow.parent_records.strip_parent_content(ticket.parent_key, frozen_clock())
    async with console_app.database.unit_of_work() as uow:
        bodies = list((await uow.session.execute(select(TicketNote.body))).scalars())
    assert bodies == [None]
