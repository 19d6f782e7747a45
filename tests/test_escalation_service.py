"""The escalation service called directly, as the officers' console and other front ends do.

The rules live here once: an officer lists unclaimed tickets and their own (a lead: all),
opens only those they hold (a lead: any), and every read is audited; a reply reaches the
parent on the channel their ticket came from, whichever front end the officer used.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sendbot.app import App
from sendbot.core.escalation.officers import officer_key
from sendbot.core.escalation.results import (
    AlreadyClaimed,
    EmptyText,
    NoSuchOfficer,
    NotALead,
    TicketClosed,
    TicketNotFound,
)
from sendbot.core.escalation.service import officers, parents
from sendbot.core.escalation.tickets import Draft
from sendbot.core.flows.ticket_notices import chat_desk
from sendbot.core.people import Parent
from sendbot.storage.models import AuditRecord, Officer, OfficerChannel, OutboxMessage

WEB_PARENT = Parent(chat_key="k" * 64, channel="web", chat_ref=None)


async def _officer(app: App, user: str, role: str = "officer", chats: int = 1) -> Officer:
    """An officer with `chats` chat channels (telegram, then terminal) and a console login."""
    keyring = app.services.keyring
    async with app.database.unit_of_work() as uow:
        officer = Officer(role=role, active=True, name=f"Officer {user}")
        for channel in ("telegram", "terminal")[:chats]:
            officer.channels.append(
                OfficerChannel(
                    channel=channel,
                    officer_key=officer_key(keyring, channel, user),
                    chat_ref=keyring.encrypt(f"{user}-{channel}"),
                )
            )
        officer.channels.append(
            OfficerChannel(channel="console", officer_key=officer_key(keyring, "console", user))
        )
        return await uow.officers.add(officer)


async def _ticket(app: App, token: str, parent: Parent = WEB_PARENT) -> str:
    """A ticket sent through the service by a parent; its reference."""
    parent = Parent(parent.chat_key, parent.channel, app.services.keyring.encrypt("session-1"))
    async with app.database.unit_of_work() as uow:
        draft = Draft(kind="question", text=f"Help with {token}", token=token)
        sent = await parents.submit(uow, chat_desk(app.services), parent, draft)
        assert sent.created
        return sent.ticket.reference


async def test_queues_and_views_are_scoped_by_who_asks_and_audited(app: App) -> None:
    alice, bob = await _officer(app, "1"), await _officer(app, "2")
    lead = await _officer(app, "3", role="lead")
    first, second = await _ticket(app, "a"), await _ticket(app, "b")
    desk = chat_desk(app.services)
    async with app.database.unit_of_work() as uow:
        await officers.claim(uow, desk, alice, first)
        with pytest.raises(AlreadyClaimed) as taken:
            await officers.claim(uow, desk, bob, first)
        assert taken.value.holder is not None and taken.value.holder.id == alice.id
        # Bob lists the unclaimed ticket only; Alice hers and the unclaimed; the lead both.
        assert [s.ticket.reference for s in (await officers.queue(uow, desk, bob)).tickets] == [
            second
        ]
        assert {s.ticket.reference for s in (await officers.queue(uow, desk, alice)).tickets} == {
            first,
            second,
        }
        everything = await officers.queue(uow, desk, lead)
        assert everything.everything and len(everything.tickets) == 2
        # Bob may not open Alice's ticket, nor an unclaimed one, nor an unknown one: alike.
        for reference in (first, second, "T-ZZZZZZ", None):
            with pytest.raises(TicketNotFound):
                await officers.view(uow, desk, bob, reference)
        seen = await officers.view(uow, desk, lead, first)
        assert seen.text == "Help with a" and seen.holder is not None
    async with app.database.unit_of_work() as uow:
        reads = (
            await uow.session.execute(
                select(AuditRecord.actor, AuditRecord.action, AuditRecord.subject_id)
            )
        ).all()
    assert (f"officer:{lead.id}", "ticket.read", first) in reads
    assert (f"officer:{alice.id}", "ticket.read", first) in reads  # sent to her on claiming
    assert (f"officer:{bob.id}", "ticket.list", "open") in reads
    assert not any(actor == f"officer:{bob.id}" and a == "ticket.read" for actor, a, _ in reads)


async def test_a_reply_from_any_front_end_reaches_the_parent_on_their_channel(app: App) -> None:
    alice = await _officer(app, "1", chats=2)
    reference = await _ticket(app, "web")
    desk = chat_desk(app.services)
    async with app.database.unit_of_work() as uow:
        await officers.claim(uow, desk, alice, reference)
        with pytest.raises(EmptyText):
            await officers.reply(uow, desk, alice, reference, "")
        replied = await officers.reply(uow, desk, alice, reference, "We will call you")
        assert replied.reached
    async with app.database.unit_of_work() as uow:
        rows = list((await uow.session.execute(select(OutboxMessage))).scalars())
    keyring = app.services.keyring
    to_parent = [r for r in rows if r.kind == "ticket-parent"]
    assert [(r.channel, keyring.decrypt(r.chat_ref)) for r in to_parent] == [("web", "session-1")]
    assert "We will call you" in (keyring.reveal(to_parent[0].html) or "")
    # The full text went to both of Alice's chats, and nowhere for her console login.
    handed = {(r.channel, keyring.decrypt(r.chat_ref)) for r in rows if r.kind == "ticket-officer"}
    assert handed == {("telegram", "1-telegram"), ("terminal", "1-terminal")}


async def test_closing_reassigning_and_the_parents_side(app: App) -> None:
    alice, bob = await _officer(app, "1"), await _officer(app, "2")
    lead = await _officer(app, "3", role="lead")
    reference = await _ticket(app, "c")
    desk = chat_desk(app.services)
    owner = Parent(WEB_PARENT.chat_key, "web", None)
    stranger = Parent("s" * 64, "telegram", None)
    async with app.database.unit_of_work() as uow:
        await officers.claim(uow, desk, alice, reference)
        with pytest.raises(NotALead):
            await officers.reassign(uow, desk, alice, reference, str(bob.id))
        with pytest.raises(NoSuchOfficer):
            await officers.reassign(uow, desk, lead, reference, "#999")
        moved = await officers.reassign(uow, desk, lead, reference, f"#{bob.id}")
        assert moved.to.id == bob.id and moved.ticket.officer_id == bob.id
        with pytest.raises(TicketNotFound):
            await officers.close(uow, desk, alice, reference)  # no longer hers
        with pytest.raises(TicketNotFound):
            await parents.view(uow, desk, stranger, reference)
        await parents.add(uow, desk, owner, reference, "One more thing")
        view = await parents.view(uow, desk, owner, reference)
        assert [e.text for e in view.entries] == ["One more thing"]
        await officers.close(uow, desk, bob, reference)
        with pytest.raises(TicketClosed):
            await officers.close(uow, desk, bob, reference)
        with pytest.raises(TicketClosed):
            await parents.add(uow, desk, owner, reference, "too late")
        assert await parents.rate(uow, desk, owner, reference, "5")
        assert not await parents.rate(uow, desk, owner, reference, "4")
