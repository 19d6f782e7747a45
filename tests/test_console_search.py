"""The inbox's stored waiting state and its search (a blind index of keyed word hashes).

Over HTTP on the console, on a SQLite file and on PostgreSQL: a ticket waits for the
parent exactly when an officer wrote last; words the parent or officer wrote find the
ticket (all of them, any case or accent), a reference finds it, and who asks limits what
is found; internal notes are not searched; the search is audited without its words.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from sendbot.app import App, open_app
from sendbot.clock import FrozenClock
from sendbot.config import Settings
from sendbot.core.escalation.terms import hashes, words
from sendbot.storage.models import AuditRecord, Ticket, TicketMessage, TicketTerm
from tests.consoleclient import ConsoleClient, signed_in_officer
from tests.test_escalation import Person, escalate

EMAIL = "sam.officer@testshire.gov.uk"
OTHER = "ola.officer@testshire.gov.uk"
LEAD = "lee.lead@testshire.gov.uk"


@pytest.fixture
async def console_app(
    settings: Settings, database_url: str, frozen_clock: FrozenClock
) -> AsyncIterator[App]:
    plain = settings.model_copy(
        update={"web_cookie_secure": False, "officers_chat_id": -100, "database_url": database_url}
    )
    async with open_app(plain, clock=frozen_clock) as app:
        yield app


async def ticket_of(app: App, reference: str) -> Ticket:
    async with app.database.unit_of_work() as uow:
        found = await uow.tickets.by_reference(reference)
        assert found is not None
        return found


async def last_author(app: App, ticket_id: int) -> str | None:
    """Who wrote the newest message, from the messages themselves."""
    async with app.database.unit_of_work() as uow:
        query = (
            select(TicketMessage.author)
            .where(TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.id.desc())
            .limit(1)
        )
        return (await uow.session.execute(query)).scalar_one_or_none()


async def term_count(app: App, ticket_id: int) -> int:
    async with app.database.unit_of_work() as uow:
        query = select(func.count()).where(TicketTerm.ticket_id == ticket_id)
        return int((await uow.session.execute(query)).scalar_one())


async def reply(client: ConsoleClient, reference: str, text: str) -> None:
    await client.get(f"/officers/tickets/{reference}")
    assert (
        await client.post(f"/officers/tickets/{reference}/reply", {"reply": text})
    ).status == 303


def test_words_are_casefolded_unaccented_long_enough_and_not_stop_words() -> None:
    text = "Élodie's EHCP: the TRIBUNAL said no to 12345; an ehcp, a Tribunal, naïve ok"
    assert words(text) == ["elodie", "ehcp", "tribunal", "said", "naive"]
    assert words("Straße STRASSE") == ["strasse"]  # casefold folds ß as well


async def test_waiting_for_the_parent_is_kept_by_every_message(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    parent = Person(console_app, "501")
    reference, _ = await escalate(parent)
    second, _ = await escalate(Person(console_app, "502"))
    ticket = await ticket_of(console_app, reference)
    assert not ticket.waiting_on_parent
    async with signed_in_officer(console_app, frozen_clock, EMAIL) as client:
        for each in (reference, second):
            await client.get("/officers")
            await client.post(f"/officers/tickets/{each}/claim", {})
            await reply(client, each, "The panel meets on Tuesday.")
        assert (await ticket_of(console_app, reference)).waiting_on_parent
        paused = await client.get("/officers?state=paused")
        assert reference in paused and second in paused  # each ticket by its own messages
        assert reference not in await client.get("/officers?state=on_time")
        # The parent writes again: the ticket no longer waits for them.
        await parent.press(f"k:a:{reference}")
        await parent.send("Thank you, and what about transport?")
        assert not (await ticket_of(console_app, reference)).waiting_on_parent
        assert await last_author(console_app, ticket.id) == "parent"
        page = await client.get("/officers?state=paused")
        assert reference not in page and second in page
        assert reference in await client.get("/officers?state=on_time")
        await client.post(f"/officers/tickets/{reference}/note", {"note": "Call them."})
        assert not (await ticket_of(console_app, reference)).waiting_on_parent  # a note is not
        await reply(client, reference, "Transport is decided by the council.")
    assert (await ticket_of(console_app, reference)).waiting_on_parent
    # Erasing the content keeps the messages' authors, and so the state.
    async with console_app.database.unit_of_work() as uow:
        found = await uow.tickets.by_reference(reference)
        assert found is not None and found.parent_key is not None
        await uow.parent_records.strip_parent_content(found.parent_key, frozen_clock())
    stripped = await ticket_of(console_app, reference)
    assert stripped.content_erased_at is not None and stripped.waiting_on_parent
    assert await last_author(console_app, ticket.id) == "officer"


async def test_search_finds_all_words_any_case_or_accent_and_references(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    bus, _ = await escalate(Person(console_app, "501"), text="Can school transport send a taxi?")
    hearing, _ = await escalate(
        Person(console_app, "502"), kind="complaint", text="Our tribunal hearing is in Décembre"
    )
    async with signed_in_officer(console_app, frozen_clock, LEAD, "lead") as client:

        async def found(query: str) -> set[str]:
            page = await client.get(f"/officers?q={query}")
            return {r for r in (bus, hearing) if f">{r}</a>" in page}

        assert await found("transport") == {bus}
        assert await found("TRANSPORT+School") == {bus}  # every word, in any order and case
        assert await found("transport+tribunal") == set()
        assert await found("decembre") == {hearing}
        assert await found("D%C3%89CEMBRE") == {hearing}
        assert await found("the") == set()  # stop words and short words find nothing
        assert await found(hearing.lower()) == {hearing}
        assert await found(hearing.replace("-", "")) == {hearing}
        assert await found("tribunal&kind=question") == set()  # with the other filters
        assert await found("tribunal&kind=complaint") == {hearing}
        # What the officer wrote is found; their internal notes are not.
        await client.post(f"/officers/tickets/{bus}/claim", {})
        await reply(client, bus, "SENDIASS can help with the appeal.")
        await client.post(f"/officers/tickets/{bus}/note", {"note": "Xylophone reminder."})
        assert await found("sendiass+appeal") == {bus}
        assert await found("xylophone") == set()
        assert await found("sendiass&mine=1") == {bus}
        assert await found("sendiass&unassigned=1") == set()
        shown = await client.get("/officers?q=transport")
        assert 'value="transport"' in shown and "1 ticket" in shown
    async with console_app.database.unit_of_work() as uow:
        query = select(AuditRecord).where(AuditRecord.action == "console.search")
        audited = list((await uow.session.execute(query)).scalars())
    assert audited and all(r.subject_id == "inbox" for r in audited)
    dumped = json.dumps([r.detail for r in audited])
    assert "matched" in dumped
    for word in ("transport", "tribunal", "decembre", "sendiass", hearing.lower()):
        assert word not in dumped.lower()  # that a search happened, never what was typed


async def test_an_officer_searches_words_only_in_tickets_they_hold_and_a_lead_in_all(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    held, _ = await escalate(Person(console_app, "501"), text="Respite funding for my son")
    async with signed_in_officer(console_app, frozen_clock, OTHER) as other:
        await other.get("/officers")
        await other.post(f"/officers/tickets/{held}/claim", {})
        assert held in await other.get("/officers?q=respite")
    async with signed_in_officer(console_app, frozen_clock, EMAIL) as client:
        assert held not in await client.get("/officers?q=respite")
        assert f">{held}</a>" not in await client.get(f"/officers?q={held}")
        # An unclaimed ticket shows an officer only its redacted summary: found by its
        # reference, never by its words (which could tell them what the summary hides).
        unclaimed, _ = await escalate(
            Person(console_app, "503"), text="Oliver needs speech therapy"
        )
        assert f">{unclaimed}</a>" in await client.get(f"/officers?q={unclaimed}")
        assert f">{unclaimed}</a>" not in await client.get("/officers?q=oliver")
        await client.post(f"/officers/tickets/{unclaimed}/claim", {})
        assert f">{unclaimed}</a>" in await client.get("/officers?q=oliver+speech")
    async with signed_in_officer(console_app, frozen_clock, LEAD, "lead") as lead:
        assert held in await lead.get("/officers?q=respite+funding")


async def test_erasure_and_retention_delete_a_tickets_search_hashes(
    console_app: App, frozen_clock: FrozenClock
) -> None:
    from datetime import timedelta

    erased, _ = await escalate(Person(console_app, "501"), text="Wheelchair ramp at school")
    kept, _ = await escalate(Person(console_app, "502"), text="Wheelchair taxi to college")
    ticket, other = await ticket_of(console_app, erased), await ticket_of(console_app, kept)
    keyring = console_app.services.keyring
    assert await term_count(console_app, ticket.id) == len(
        hashes(keyring, ["wheelchair ramp school"])
    )
    async with console_app.database.unit_of_work() as uow:
        assert ticket.parent_key is not None
        await uow.parent_records.strip_parent_content(ticket.parent_key, frozen_clock())
    assert await term_count(console_app, ticket.id) == 0
    assert await term_count(console_app, other.id) == 3
    # Retention: a ticket closed long enough ago loses its hashes with its text.
    async with console_app.database.unit_of_work() as uow:
        assert await uow.tickets.close(other.id, "officer", frozen_clock())
    frozen_clock.advance(timedelta(days=2))
    async with console_app.database.unit_of_work() as uow:
        assert await uow.parent_records.strip_closed_before(frozen_clock(), frozen_clock()) == 1
    assert await term_count(console_app, other.id) == 0
    async with signed_in_officer(console_app, frozen_clock, LEAD, "lead") as lead:
        page = await lead.get("/officers?q=wheelchair&state=closed")
        assert erased not in page and kept not in page
