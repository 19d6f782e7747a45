"""Talk to someone, through the Dialogue: consent, tickets, officers, replies, closing, rating."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, insert, select

from sendbot.app import App, open_app
from sendbot.config import Settings
from sendbot.core.escalation.officers import issue_invite, officer_key
from sendbot.core.messages import Inbound, InboundKind, Outbound
from sendbot.core.outbox import RecipientGone, deliver_due
from sendbot.storage.models import (
    AuditRecord,
    OfferFeedback,
    OutboxMessage,
    Ticket,
    TicketMessage,
)
from tests.casefiles import seed

MESSAGES = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "knowledge" / "messages.yaml").read_text()
)
ESC = MESSAGES["escalation"]
GROUP = -1001234
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday
CASE_ROWS = [
    {
        "case_ref": "TS0001",
        "child_first_name": "Maisie",
        "child_dob": "2015-05-03",
        "request_date": "2026-06-01",
        "stage": "assessing",
    }
]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Sender:
    """Records outbox deliveries by chat id; can pretend some chats blocked the bot."""

    channel = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, Outbound]] = []
        self.blocked: set[str] = set()

    async def send(self, chat_id: str, message: Outbound) -> None:
        if chat_id in self.blocked:
            raise RecipientGone()
        self.sent.append((chat_id, message))

    def to(self, chat_id: str | int) -> list[Outbound]:
        return [m for c, m in self.sent if c == str(chat_id)]


class Person:
    """Someone writing to the bot in a private chat (or pressing buttons in the group)."""

    def __init__(self, app: App, user_id: str) -> None:
        self.app = app
        self.user_id = user_id

    async def send(self, text: str, reply_to: str | None = None) -> list[Outbound]:
        kind = InboundKind.COMMAND if text.startswith("/") else InboundKind.TEXT
        return await self.app.dialogue.handle(
            Inbound("telegram", self.user_id, kind, text, reply_to=reply_to)
        )

    async def press(self, data: str) -> list[Outbound]:
        return await self.app.dialogue.handle(
            Inbound("telegram", self.user_id, InboundKind.BUTTON, data)
        )

    async def press_in_group(self, data: str) -> list[Outbound]:
        return await self.app.dialogue.handle(
            Inbound(
                "telegram",
                str(GROUP),
                InboundKind.BUTTON,
                data,
                private=False,
                user_id=self.user_id,
            )
        )


def text_of(replies: list[Outbound]) -> str:
    return "\n".join(r.html for r in replies)


def buttons_of(replies: list[Outbound]) -> dict[str, str]:
    return {b.label: b.data for r in replies for b in r.flat_buttons}


def button(replies: list[Outbound], prefix: str) -> str:
    found = [b.data for r in replies for b in r.flat_buttons if b.data.startswith(prefix)]
    assert found, f"no button {prefix!r} in {[b.data for r in replies for b in r.flat_buttons]}"
    return found[0]


async def ready(settings: Settings, clock: Clock, tmp_path: Path) -> AsyncIterator[App]:
    """An app with the officers' group configured, one case and a hand-moved clock."""
    async with open_app(settings.model_copy(update={"officers_chat_id": GROUP})) as app:
        app.services.clock = clock
        await seed(app, CASE_ROWS, tmp_path / "cases.csv", NOW)
        yield app


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def app(settings: Settings, clock: Clock, tmp_path: Path) -> AsyncIterator[App]:
    async for ready_app in ready(settings, clock, tmp_path):
        yield ready_app


@pytest.fixture
async def both_app(
    settings: Settings, database_url: str, clock: Clock, tmp_path: Path
) -> AsyncIterator[App]:
    """The same on a SQLite file and on PostgreSQL."""
    async for ready_app in ready(
        settings.model_copy(update={"database_url": database_url}), clock, tmp_path
    ):
        yield ready_app


async def deliver(app: App, sender: Sender) -> None:
    """Run the outbox as the adapter's job would (far enough ahead that all are due)."""
    await deliver_due(app.database, app.services.keyring, sender, NOW + timedelta(days=3650))


async def invite(app: App, role: str = "officer") -> str:
    async with app.database.unit_of_work() as uow:
        code, _ = await issue_invite(uow, app.services.keyring, role, NOW, 7)
    return code


async def make_officer(app: App, user_id: str, role: str = "officer") -> Person:
    officer = Person(app, user_id)
    replies = await officer.send(f"/officer {await invite(app, role)}")
    assert "registered as" in text_of(replies)
    return officer


async def escalate(
    parent: Person, kind: str = "question", text: str = "Who decides on my EHCP?"
) -> tuple[str, list[Outbound]]:
    """Talk to someone, choose a kind, write, send; the ticket reference and the replies."""
    await parent.send("/contact")
    await parent.press(f"k:k:{kind}")
    consent = await parent.send(text)
    sent = await parent.press(button(consent, "k:s:"))
    reference = text_of(sent).split("<b>")[1].split("</b>")[0]
    return reference, sent


async def tickets(app: App) -> list[Ticket]:
    async with app.database.unit_of_work() as uow:
        return list((await uow.session.execute(select(Ticket))).scalars())


async def audit_actions(app: App) -> list[tuple[str, str, str]]:
    async with app.database.unit_of_work() as uow:
        rows = (await uow.session.execute(select(AuditRecord).order_by(AuditRecord.id))).scalars()
        return [(r.actor, r.action, r.subject_id) for r in rows]


# The parent's side.


async def test_consent_screen_shows_exactly_the_text_then_a_reference(app: App) -> None:
    parent = Person(app, "501")
    kinds = await parent.send("/contact")
    assert [b.data for b in kinds[0].flat_buttons][:4] == [
        "k:k:question",
        "k:k:complaint",
        "k:k:offer",
        "k:k:urgent",
    ]
    await parent.press("k:k:complaint")
    consent = await parent.send("The panel <b>ignored</b> our reports & evidence")
    screen = text_of(consent)
    assert "The panel &lt;b&gt;ignored&lt;/b&gt; our reports &amp; evidence" in screen
    assert ESC["kinds"]["complaint"] in screen
    assert html.unescape("TS0001") not in screen.replace("Share case ref TS0001", "")
    labels = buttons_of(consent)
    assert "⬜ Share case ref TS0001" not in labels  # no case linked to this chat
    sent = await parent.press(button(consent, "k:s:"))
    [ticket] = await tickets(app)
    assert ticket.reference in text_of(sent)
    assert ticket.kind == "complaint" and ticket.status == "open"
    # Complaints get the local pack's stage 1 limit: 10 working days in Testshire.
    assert ticket.due_at == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    assert ticket.body is not None and "panel" not in ticket.body
    assert app.services.keyring.decrypt(ticket.body).startswith("The panel <b>ignored</b>")
    assert ticket.parent_key == app.services.keyring.chat_key("telegram", "501")


async def test_case_reference_is_shared_only_when_ticked(app: App, tmp_path: Path) -> None:
    from tests.casefiles import code_for

    parent = Person(app, "502")
    await parent.press("c:a")
    await parent.send(await code_for(app, "TS0001", NOW))
    await parent.send("03/05/2015")
    await parent.send("/contact")
    await parent.press("k:k:question")
    consent = await parent.send("When will the draft plan come?")
    assert ESC["consent"]["no_case"] in text_of(consent)
    assert "<b>Case reference:</b>" not in text_of(consent)
    ticked = await parent.press(button(consent, "k:t:"))
    assert "<b>Case reference:</b> TS0001" in text_of(ticked)
    assert "☑️ Share case ref TS0001" in buttons_of(ticked)
    unticked = await parent.press(button(ticked, "k:t:"))
    assert "<b>Case reference:</b>" not in text_of(unticked)
    again = await parent.press(button(unticked, "k:t:"))
    await parent.press(button(again, "k:s:"))
    [ticket] = await tickets(app)
    assert ticket.case_id is not None and ticket.case_ref is not None
    assert app.services.keyring.decrypt(ticket.case_ref) == "TS0001"


async def test_a_double_tapped_send_makes_one_ticket(both_app: App) -> None:
    parent = Person(both_app, "503")
    await parent.send("/contact")
    await parent.press("k:k:question")
    consent = await parent.send("Can the school refuse a 1:1?")
    send = button(consent, "k:s:")
    first = await parent.press(send)
    second = await parent.press(send)
    [ticket] = await tickets(both_app)
    assert ticket.reference in text_of(first)
    assert text_of(second) == ESC["parent"]["already_sent"].format(reference=ticket.reference)


async def test_urgent_gets_the_safeguarding_guidance_at_once_and_a_ticket(app: App) -> None:
    parent = Person(app, "504")
    await parent.send("/contact")
    replies = await parent.press("k:k:urgent")
    assert "call 999" in replies[0].html
    assert ESC["parent"]["ask_text"]["urgent"] == replies[-1].html
    consent = await parent.send("I am worried about my son's safety at home")
    await parent.press(button(consent, "k:s:"))
    [ticket] = await tickets(app)
    assert ticket.kind == "urgent"
    assert ticket.due_at == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 1 working day


async def test_change_and_cancel_lose_nothing_and_send_nothing(app: App) -> None:
    parent = Person(app, "505")
    await parent.send("/contact")
    await parent.press("k:k:question")
    consent = await parent.send("first try")
    asked = await parent.press(button(consent, "k:e:"))
    assert asked[0].html == ESC["parent"]["ask_again"]
    consent = await parent.send("second try")
    assert "second try" in text_of(consent) and "first try" not in text_of(consent)
    replaced = await parent.send("third try")
    assert "third try" in text_of(replaced)
    cancelled = await parent.press("k:x")
    assert cancelled[0].html == ESC["parent"]["cancelled"]
    assert await tickets(app) == []
    stale = await parent.press(button(replaced, "k:s:"))
    assert stale[0].html == MESSAGES["stale_button"]
    assert await tickets(app) == []


async def test_the_group_sees_a_redacted_summary_and_never_the_parent(app: App) -> None:
    parent = Person(app, "777000111")
    secret = (
        "My daughter Maisie Jones (NHS 943 476 5919) lives at BS1 4DJ, call 07700 900123 "
        "or mum@example.com <script>x</script> \u202eevil"
    )
    reference, _ = await escalate(parent, "complaint", secret)
    sender = Sender()
    await deliver(app, sender)
    [summary] = sender.to(GROUP)
    assert reference in summary.html
    assert ESC["kinds"]["complaint"] in summary.html
    assert "due by" in summary.html
    for leaked in ("Maisie", "Jones", "943 476 5919", "BS1", "07700", "mum@", "<script>", "\u202e"):
        assert leaked not in summary.html
    assert "777000111" not in summary.html
    assert [b.data for b in summary.flat_buttons] == [f"o:c:{reference}"]
    assert sender.to("777000111") == []


async def test_officers_join_with_a_code_and_everyone_else_sees_an_unknown_command(
    app: App,
) -> None:
    unknown = MESSAGES["unknown_command"]
    stranger = Person(app, "900")
    for command in (
        "/officer WRONG-CODE-1234",
        "/officer",
        "/tickets",
        "/ticket T-ABCDEF",
        "/reply T-ABCDEF hello",
        "/close T-ABCDEF",
        "/claim T-ABCDEF",
        "/reassign T-ABCDEF 1",
        "/officers",
        "/feedback",
        "/wedid F-ABCDEF done",
        "/attach T-ABCDEF sendiass",
        "/no-such-command",
    ):
        assert text_of(await stranger.send(command)) == unknown, command
    assert text_of(await stranger.press_in_group("o:c:T-ABCDEF")) == unknown
    code = await invite(app)
    officer = Person(app, "901")
    assert "registered as" in text_of(await officer.send(f"/officer {code.lower()}"))
    # A code works once.
    assert text_of(await Person(app, "902").send(f"/officer {code}")) == unknown
    # Not in a group chat.
    group_try = await app.dialogue.handle(
        Inbound(
            "telegram",
            str(GROUP),
            InboundKind.COMMAND,
            f"/officer {await invite(app)}",
            private=False,
            user_id="903",
        )
    )
    assert text_of(group_try) == unknown
    # An ordinary officer cannot use a lead's commands.
    assert text_of(await officer.send("/officers")) == unknown


async def test_claim_reply_answer_close_and_rate(both_app: App) -> None:
    app = both_app
    parent = Person(app, "601")
    reference, _ = await escalate(parent, "question", "Can the council refuse to assess?")
    first = await make_officer(app, "701")
    second = await make_officer(app, "702")
    won = await first.press_in_group(f"o:c:{reference}")
    assert f"<b>{reference}</b> was claimed by" in text_of(won)
    lost = await second.press_in_group(f"o:c:{reference}")
    assert "is already held by" in text_of(lost)
    sender = Sender()
    await deliver(app, sender)
    [full] = sender.to("701")
    assert "Can the council refuse to assess?" in full.html
    assert sender.to("702") == []
    # The second officer cannot open or answer it.
    not_yours = ESC["officer"]["not_yours"]
    assert text_of(await second.send(f"/ticket {reference}")) == not_yours
    assert text_of(await second.send(f"/reply {reference} me too")) == not_yours
    # The officer replies by command, then by replying to the ticket's message.
    queued = await first.send(f"/reply {reference} Yes, but only <i>rarely</i>.")
    assert "on its way" in text_of(queued)
    await first.send("And it must say why.", reply_to=html.unescape(full.html))
    await deliver(app, sender)
    replies = sender.to("601")
    assert len(replies) == 2
    assert "Yes, but only &lt;i&gt;rarely&lt;/i&gt;." in replies[0].html
    assert "And it must say why." in replies[1].html
    assert ESC["roles"]["officer"] in replies[0].html
    assert "701" not in replies[0].html
    # The parent answers by replying, and by the Add button.
    await parent.send("Thank you, what next?", reply_to=html.unescape(replies[1].html))
    await parent.press(f"k:a:{reference}")
    added = await parent.send("One more thing")
    assert f"<b>{reference}</b>" in text_of(added)
    await deliver(app, sender)
    to_officer = [m.html for m in sender.to("701")[1:]]
    assert any("Thank you, what next?" in h for h in to_officer)
    assert any("One more thing" in h for h in to_officer)
    # The officer closes; the parent is asked to rate.
    closed = await first.send(f"/close {reference}")
    assert "is closed" in text_of(closed)
    await deliver(app, sender)
    rate = sender.to("601")[-1]
    assert reference in rate.html
    rated = await parent.press(button([rate], f"k:r:{reference}:4"))
    assert text_of(rated) == ESC["parent"]["rated"]
    again = await parent.press(f"k:r:{reference}:1")
    assert text_of(again) == ESC["parent"]["rated_already"]
    [ticket] = await tickets(app)
    assert (ticket.status, ticket.closed_by, ticket.rating) == ("closed", "officer", 4)
    actions = [(a, s) for _, a, s in await audit_actions(app) if a.startswith("ticket.")]
    assert ("ticket.claim", reference) in actions
    assert ("ticket.read", reference) in actions
    assert actions.count(("ticket.reply", reference)) == 2
    assert ("ticket.close", reference) in actions


async def test_parent_closes_and_the_officer_is_told(app: App) -> None:
    parent = Person(app, "602")
    reference, _ = await escalate(parent)
    officer = await make_officer(app, "703")
    await officer.send(f"/claim {reference}")
    closed = await parent.press(f"k:z:{reference}")
    assert f"k:r:{reference}:5" in [b.data for r in closed for b in r.flat_buttons]
    sender = Sender()
    await deliver(app, sender)
    assert any("The parent closed" in m.html for m in sender.to("703"))
    assert "is closed" in text_of(await officer.send(f"/reply {reference} hello?"))


async def test_a_reply_to_a_parent_who_blocked_the_bot_is_kept_and_marked(app: App) -> None:
    parent = Person(app, "603")
    reference, _ = await escalate(parent)
    officer = await make_officer(app, "704")
    await officer.send(f"/claim {reference}")
    await officer.send(f"/reply {reference} Here is the answer.")
    sender = Sender()
    sender.blocked.add("603")
    await deliver(app, sender)
    async with app.database.unit_of_work() as uow:
        [message] = (await uow.session.execute(select(TicketMessage))).scalars().all()
        statuses = await uow.tickets.deliveries([message.outbox_key or ""])
    assert message.body and app.services.keyring.decrypt(message.body) == "Here is the answer."
    assert statuses == {message.outbox_key: "undelivered"}
    view = await officer.send(f"/ticket {reference}")
    assert ESC["delivery"]["undelivered"] in text_of(view)


async def test_officers_see_unclaimed_and_their_own_and_leads_see_all(app: App) -> None:
    parent = Person(app, "604")
    first_ref, _ = await escalate(parent, "question", "first")
    second_ref, _ = await escalate(parent, "complaint", "second")
    third_ref, _ = await escalate(parent, "urgent", "third")
    alice = await make_officer(app, "705")
    bob = await make_officer(app, "706")
    lead = await make_officer(app, "707", role="lead")
    await alice.send(f"/claim {first_ref}")
    await bob.send(f"/claim {second_ref}")
    listed = text_of(await alice.send("/tickets"))
    assert first_ref in listed and third_ref in listed and second_ref not in listed
    # By due date: the urgent one (1 working day) first.
    assert listed.index(third_ref) < listed.index(first_ref)
    everything = text_of(await lead.send("/tickets"))
    assert all(r in everything for r in (first_ref, second_ref, third_ref))
    assert "second" in text_of(await lead.send(f"/ticket {second_ref}"))
    assert "second" not in text_of(await alice.send(f"/ticket {second_ref}"))
    # The lead hands Bob's ticket to Alice, who is then sent its full text.
    async with app.database.unit_of_work() as uow:
        alice_row = await uow.officers.by_key(officer_key(app.services.keyring, "telegram", "705"))
        assert alice_row is not None
        alice_id = alice_row.id
    moved = await lead.send(f"/reassign {second_ref} {alice_id}")
    assert "now belongs to" in text_of(moved)
    assert "second" in text_of(await alice.send(f"/ticket {second_ref}"))
    assert text_of(await bob.send(f"/ticket {second_ref}")) == ESC["officer"]["not_yours"]
    assert "#" in text_of(await lead.send("/officers"))


async def test_a_case_is_shown_to_the_officer_only_through_a_consenting_ticket(
    app: App,
) -> None:
    from tests.casefiles import code_for

    parent = Person(app, "605")
    await parent.press("c:a")
    await parent.send(await code_for(app, "TS0001", NOW))
    await parent.send("03/05/2015")
    plain_ref, _ = await escalate(parent, "question", "no case here")
    await parent.send("/contact")
    await parent.press("k:n")
    await parent.press("k:k:question")
    consent = await parent.send("about the case")
    ticked = await parent.press(button(consent, "k:t:"))
    await parent.press(button(ticked, "k:s:"))
    shared_ref = next(t.reference for t in await tickets(app) if t.reference != plain_ref)
    officer = await make_officer(app, "708")
    await officer.send(f"/claim {plain_ref}")
    await officer.send(f"/claim {shared_ref}")
    assert "TS0001" not in text_of(await officer.send(f"/ticket {plain_ref}"))
    shared = text_of(await officer.send(f"/ticket {shared_ref}"))
    assert "TS0001" in shared and "Maisie" not in shared
    case_reads = [s for _, a, s in await audit_actions(app) if a == "case.read"]
    assert case_reads and set(case_reads) == {"TS0001"}
    assert len(case_reads) == 2  # once when the claim sent it, once for /ticket
    # The group summary never carries the case reference.
    sender = Sender()
    await deliver(app, sender)
    assert all("TS0001" not in m.html for m in sender.to(GROUP))


async def test_parent_sees_only_their_own_tickets(app: App) -> None:
    owner = Person(app, "606")
    other = Person(app, "607")
    reference, _ = await escalate(owner, "question", "private words")
    for data in (f"k:v:{reference}", f"k:a:{reference}", f"k:z:{reference}"):
        assert text_of(await other.press(data)) == MESSAGES["stale_button"]
    await other.send("guess", reply_to=f"About {reference}")
    [ticket] = await tickets(app)
    assert ticket.status == "open"
    view = text_of(await owner.press(f"k:v:{reference}"))
    assert "private words" in view
    listing = await owner.send("/contact")
    assert f"k:v:{reference}" in [b.data for r in listing for b in r.flat_buttons]


async def test_local_offer_feedback_is_anonymous_by_default(app: App) -> None:
    parent = Person(app, "608")
    await parent.send("/contact")
    await parent.press("k:k:offer")
    consent = await parent.send("The Local Offer lists a closed club; ring Sue on 07700 900123")
    assert ESC["consent"]["offer_anonymous"] in text_of(consent)
    thanks = await parent.press(button(consent, "k:s:"))
    assert "went to the Local Offer team" in text_of(thanks)
    assert await tickets(app) == []
    async with app.database.unit_of_work() as uow:
        [item] = (await uow.session.execute(select(OfferFeedback))).scalars().all()
    assert item.anonymous and item.ticket_id is None
    stored = app.services.keyring.decrypt(item.text or "")
    assert "closed club" in stored and "07700" not in stored and "Sue" not in stored
    # Asking for a reply makes a ticket too, linked to the feedback.
    await parent.send("/contact")
    await parent.press("k:k:offer")
    consent = await parent.send("Please add the new autism group")
    ticked = await parent.press(button(consent, "k:f:"))
    assert ESC["consent"]["offer_reply"] in text_of(ticked)
    await parent.press(button(ticked, "k:s:"))
    [ticket] = await tickets(app)
    assert ticket.kind == "offer"
    officer = await make_officer(app, "709")
    queue = text_of(await officer.send("/feedback"))
    assert "closed club" in queue and "autism group" in queue
    saved = await officer.send(f"/wedid {item.reference} We removed the club.")
    assert item.reference in text_of(saved)


async def test_ticket_text_never_lands_in_the_database_in_the_clear(app: App) -> None:
    parent = Person(app, "609")
    reference, _ = await escalate(parent, "complaint", "Zanzibar-secret-complaint words")
    officer = await make_officer(app, "710")
    await officer.send(f"/claim {reference}")
    await officer.send(f"/reply {reference} Quixotic-secret-reply words")
    await parent.send("Xylophone-secret-answer", reply_to=f"about {reference}")
    database_file = Path(app.settings.database_url.split("///", 1)[1])
    async with app.database.engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
    raw = b"".join(
        path.read_bytes() for path in database_file.parent.glob(database_file.name + "*")
    )
    for secret in (b"Zanzibar", b"Quixotic", b"Xylophone"):
        assert secret not in raw


async def test_for_parent_and_strip_parent_content(both_app: App) -> None:
    app = both_app
    parent = Person(app, "610")
    reference, _ = await escalate(parent, "question", "my question text")
    officer = await make_officer(app, "711")
    await officer.send(f"/claim {reference}")
    await officer.send(f"/reply {reference} the answer")
    key = app.services.keyring.chat_key("telegram", "610")
    async with app.database.unit_of_work() as uow:
        [held] = await uow.parent_records.for_parent(key, app.services.keyring)
    assert held.reference == reference and held.text == "my question text"
    assert [m.text for m in held.messages] == ["the answer"]
    assert held.messages[0].officer_role == "officer"
    assert {a.action for a in held.accesses} >= {"ticket.claim", "ticket.read", "ticket.reply"}
    assert all(a.officer_id is not None for a in held.accesses)
    async with app.database.unit_of_work() as uow:
        assert await uow.parent_records.for_parent("someone-else", app.services.keyring) == []
        assert await uow.parent_records.strip_parent_content(key, NOW) == 1
    async with app.database.unit_of_work() as uow:
        assert await uow.parent_records.for_parent(key, app.services.keyring) == []
        [ticket] = (await uow.session.execute(select(Ticket))).scalars().all()
        messages = (await uow.session.execute(select(TicketMessage))).scalars().all()
        outbox = await uow.session.execute(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like(f"ticket:{ticket.id}:%"))
        )
        assert outbox.scalar_one() == 0
    assert ticket.body is None and ticket.parent_key is None and ticket.parent_ref is None
    assert ticket.content_erased_at is not None and ticket.kind == "question"
    assert len(messages) == 1 and messages[0].body is None
    view = await officer.send(f"/ticket {reference}")
    assert ESC["erased"] in text_of(view)


async def test_officers_can_be_shown_to_parents_by_first_name(
    settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    named = settings.model_copy(update={"officer_display": "first_name"})
    async for app in ready(named, clock, tmp_path):
        parent = Person(app, "620")
        reference, _ = await escalate(parent)
        officer = Person(app, "720")
        joined = await officer.send(f"/officer {await invite(app)}")
        assert ESC["officer"]["ask_name"] in text_of(joined)
        assert text_of(await officer.send("<b>x</b> 123")) == ESC["officer"]["bad_name"]
        assert "Sam" in text_of(await officer.send("Sam"))
        await officer.send(f"/claim {reference}")
        await officer.send(f"/reply {reference} Hello from the team")
        sender = Sender()
        await deliver(app, sender)
        [reply] = sender.to("620")
        assert "Reply from Sam" in reply.html


async def test_the_fallback_offers_a_person_and_group_text_points_to_a_private_chat(
    app: App,
) -> None:
    parent = Person(app, "621")
    kinds = await parent.press("m:contact")
    assert "k:k:question" in [b.data for r in kinds for b in r.flat_buttons]
    chatter = await app.dialogue.handle(
        Inbound(
            "telegram",
            str(GROUP),
            InboundKind.TEXT,
            "how long does an EHCP take?",
            private=False,
            user_id="622",
        )
    )
    # Telegram passes on only text spoken to the bot (see tests/test_group_chats.py).
    assert [reply.html for reply in chatter] == [app.services.texts.get("private_only")]
    assert chatter[0].buttons == ()


async def test_an_officer_attaches_a_knowledge_page(app: App) -> None:
    parent = Person(app, "623")
    reference, _ = await escalate(parent, "question", "What does SENDIASS do?")
    officer = await make_officer(app, "723")
    await officer.send(f"/claim {reference}")
    missing = text_of(await officer.send(f"/attach {reference} free advice service"))
    assert "There is no knowledge page" in missing and "sendiass" in missing
    queued = await officer.send(f"/attach {reference} sendiass")
    assert "on its way" in text_of(queued)
    sender = Sender()
    await deliver(app, sender)
    [page] = sender.to("623")
    assert reference in page.html
    assert "e:sendiass" in [b.data for b in page.flat_buttons]
    shown = await parent.press("e:sendiass")
    assert "SENDIASS" in text_of(shown) or "sendiass" in text_of(shown).lower()
    view = await parent.press(f"k:v:{reference}")
    assert "e:sendiass" in [b.data for r in view for b in r.flat_buttons]


async def test_two_simultaneous_sends_of_one_draft_make_one_ticket(both_app: App) -> None:
    parent = Person(both_app, "624")
    await parent.send("/contact")
    await parent.press("k:k:complaint")
    consent = await parent.send("Sent from two phones at once")
    send = button(consent, "k:s:")
    first, second = await asyncio.gather(parent.press(send), parent.press(send))
    [ticket] = await tickets(both_app)
    answers = sorted([text_of(first), text_of(second)], key=len)
    assert answers[0] == ESC["parent"]["already_sent"].format(reference=ticket.reference)
    assert ticket.reference in answers[1]


async def test_the_feedback_queue_shows_the_newest_ten_of_however_many(app: App) -> None:
    """More feedback than any page holds: the newest ten, newest first, and the full count."""
    keyring = app.services.keyring
    older = [
        {
            "reference": f"F-OLD{n:05d}",
            "received_at": NOW - timedelta(days=400, minutes=n),
            "text": None,
            "anonymous": True,
        }
        for n in range(10_050)
    ]
    newest = [
        {
            "reference": f"F-NEW{n:03d}",
            "received_at": NOW - timedelta(minutes=n),
            "text": keyring.encrypt(f"recent remark number {n}"),
            "anonymous": True,
        }
        for n in range(12)
    ]
    async with app.database.unit_of_work() as uow:
        await uow.session.execute(insert(OfferFeedback), older + newest)
    officer = await make_officer(app, "712")
    queue = text_of(await officer.send("/feedback"))
    assert f"({len(older) + len(newest)} in all)" in queue
    shown = [f"F-NEW{n:03d}" for n in range(12) if f"F-NEW{n:03d}" in queue]
    assert shown == [f"F-NEW{n:03d}" for n in range(10)]
    assert queue.index("F-NEW000") < queue.index("F-NEW009")
    assert "F-OLD" not in queue
    assert ("officer:1", "feedback.list", "recent") in await audit_actions(app)
