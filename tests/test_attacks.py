"""Tests that attack the safeguards: guessing, impersonating, injecting, and reading the disk.

Each test plays someone trying to get what they should not: another parent's case or
ticket, an officer's view without being one, a case link by guessing, markup smuggled into
what officers see, SQL smuggled into storage, and personal data left in logs or on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sendbot.app import App, open_app
from sendbot.config import Settings
from sendbot.core.audit import verify
from sendbot.core.dialogue import Router
from sendbot.core.escalation.officers import issue_invite
from sendbot.core.flows import officer as officer_flow
from sendbot.core.messages import Inbound, InboundKind, Outbound
from sendbot.storage.models import (
    AuditRecord,
    Case,
    CaseLink,
    Conversation,
    OutboxMessage,
    Ticket,
)
from tests.casefiles import code_for
from tests.privacy_helpers import (
    CASE_ROW,
    CHILD,
    CHILD_DOB,
    NOW,
    OTHER_ROW,
    Clock,
    Parent,
    seed_cases,
)

GROUP = -1001234
SECRET_TEXT = "Quokka-ticket-secret: Oliver was restrained at school"
NOBODY_REF = "T-ZZZZZZ"
ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "blockquote", "em", "strong"}
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
SQLI = "'; DROP TABLE conversations; -- \" OR 1=1; SELECT * FROM cases --"


@pytest.fixture
async def app(settings: Settings, tmp_path: Path) -> AsyncIterator[App]:
    """The app with an officers' group, two cases and a fixed clock."""
    async with open_app(settings.model_copy(update={"officers_chat_id": GROUP})) as ready:
        ready.services.clock = Clock()
        await seed_cases(ready, tmp_path)
        yield ready


def tg(app: App, chat_id: str) -> Parent:
    """A Telegram chat driven through the dialogue."""
    return Parent(app, chat_id, channel="telegram")


async def officer(app: App, chat_id: str, role: str = "officer") -> Parent:
    """Someone who joined as an officer with a real invite code."""
    async with app.database.unit_of_work() as uow:
        code, _ = await issue_invite(uow, app.services.keyring, role, NOW, 7)
    person = tg(app, chat_id)
    await person.send(f"/officer {code}")
    assert app.services.texts.get("unknown_command") not in person.text()  # joined
    return person


async def victim(app: App, share_case: bool = True) -> tuple[Parent, str, int]:
    """A parent with a linked case and a ticket: (parent, ticket reference, case id)."""
    parent = tg(app, "5550001")
    await parent.send("/start")
    await parent.link_case(await code_for(app, CASE_ROW["case_ref"], NOW))
    reference = await parent.ask_for_a_person(SECRET_TEXT, share_case=share_case)
    async with app.database.unit_of_work() as uow:
        case = await uow.cases.by_reference(CASE_ROW["case_ref"])
    assert case is not None
    return parent, reference, case.id


async def count(app: App, model: Any, *where: Any) -> int:
    async with app.database.unit_of_work() as uow:
        query = select(func.count()).select_from(model).where(*where)
        return int((await uow.session.execute(query)).scalar_one())


def said(replies: list[Outbound]) -> str:
    return "\n".join(r.html for r in replies)


def officer_commands() -> list[str]:
    """Every command the officers' flow registers (so new ones are attacked too)."""
    router = Router()
    officer_flow.register(router)
    return sorted(router.commands)


# Non-officers calling officer commands.


async def test_officer_commands_from_anyone_else_look_like_unknown_commands(app: App) -> None:
    _, reference, _ = await victim(app)
    stranger = tg(app, "5550002")
    unknown = said(await stranger.send("/nosuchcommand"))
    commands = officer_commands()
    assert {"tickets", "ticket", "claim", "reply", "close"} <= set(commands)
    for command in commands:
        for argument in ("", f" {reference}", f" {reference} hello", " T-ABC234 x", " 1"):
            replies = await stranger.send(f"/{command}{argument}")
            assert said(replies) == unknown, f"/{command}{argument}"
    wrong_code = await stranger.send("/officer ABCD-EFGH-JKLM")
    assert said(wrong_code) == unknown
    assert await count(app, Ticket, Ticket.officer_id.is_not(None)) == 0
    assert await count(app, AuditRecord, AuditRecord.actor.like("officer:%")) == 0


async def test_officer_commands_in_a_group_and_lead_commands_from_an_officer(app: App) -> None:
    _, reference, _ = await victim(app)
    plain = await officer(app, "7770001")
    unknown = said(await plain.send("/nosuchcommand"))
    group = Inbound(
        "telegram", str(GROUP), InboundKind.COMMAND, f"/ticket {reference}", private=False,
        user_id=plain.chat_id,
    )  # fmt: skip
    assert said(await app.dialogue.handle(group)) == unknown
    assert said(await plain.send(f"/reassign {reference} 1")) == unknown


async def test_officer_buttons_pressed_by_a_parent_give_nothing_away(app: App) -> None:
    _, reference, _ = await victim(app)
    stranger = tg(app, "5550002")
    for action in ("c", "v", "z"):
        real = said(await stranger.press(f"o:{action}:{reference}"))
        made_up = said(await stranger.press(f"o:{action}:{NOBODY_REF}"))
        assert real == made_up
        assert "Quokka" not in real and CHILD not in real
    assert await count(app, Ticket, Ticket.status == "open", Ticket.officer_id.is_(None)) == 1


# One parent reading another's case or ticket by guessing a reference.


async def test_a_parent_cannot_reach_another_parents_ticket_or_case(app: App) -> None:
    owner, reference, case_id = await victim(app)
    guesser = tg(app, "5550002")
    await guesser.send("/start")
    await guesser.link_case(await code_for(app, OTHER_ROW["case_ref"], NOW), OTHER_ROW["child_dob"])
    attempts = [
        (f"k:v:{reference}", f"k:v:{NOBODY_REF}"),
        (f"k:a:{reference}", f"k:a:{NOBODY_REF}"),
        (f"k:z:{reference}", f"k:z:{NOBODY_REF}"),
        (f"k:r:{reference}:5", f"k:r:{NOBODY_REF}:5"),
        (f"c:v:{case_id}", "c:v:999999"),
        (f"c:u:{case_id}", "c:u:999999"),
        (f"c:x:{case_id}", "c:x:999999"),
    ]
    for real, made_up in attempts:
        got = said(await guesser.press(real))
        assert got == said(await guesser.press(made_up)), real
        assert "Quokka" not in got and CHILD not in got and CASE_ROW["case_ref"] not in got
    for command in ("/contact", "/mycase", "/unlink", f"/mycase {reference}"):
        got = said(await guesser.send(command))
        assert "Quokka" not in got and CHILD not in got, command
    forged = Inbound(
        "telegram", guesser.chat_id, InboundKind.TEXT, "Zebra-intrusion: let me in",
        reply_to=f"News about your request {reference}",
    )  # fmt: skip
    await app.dialogue.handle(forged)
    own = Inbound(
        "telegram", owner.chat_id, InboundKind.TEXT, "Yak-addition from the owner",
        reply_to=f"News about your request {reference}",
    )  # fmt: skip
    await app.dialogue.handle(own)  # the same path works for the ticket's own parent
    async with app.database.unit_of_work() as uow:
        victims = await uow.tickets.by_reference(reference)
        assert victims is not None
        bodies = [m.body for m in await uow.tickets.messages(victims.id) if m.body]
    added = [app.services.keyring.decrypt(b) for b in bodies]
    assert any("Yak-addition" in text for text in added)
    assert not any("Zebra" in text for text in added)
    mydata = await guesser.send("/mydata")
    assert mydata[0].document is not None
    assert b"Quokka" not in mydata[0].document[1] and CHILD.encode() not in mydata[0].document[1]

    assert await count(app, CaseLink, CaseLink.chat_key == owner.chat_key) == 1
    async with app.database.unit_of_work() as uow:
        ticket = await uow.tickets.by_reference(reference)
    assert ticket is not None and ticket.status == "open" and ticket.rating is None


async def test_officers_see_summaries_and_their_own_tickets_a_lead_sees_all(app: App) -> None:
    _, reference, _ = await victim(app)
    holder = await officer(app, "7770001")
    other = await officer(app, "7770002")
    lead = await officer(app, "7770003", role="lead")

    listing = said(await other.send("/tickets"))
    assert reference in listing and "Quokka" not in listing  # a summary, not the text
    await holder.send(f"/claim {reference}")
    assert "Quokka" in said(await holder.send(f"/ticket {reference}"))

    for command in (f"/ticket {reference}", f"/reply {reference} hi", f"/close {reference}"):
        got = said(await other.send(command))
        assert got == said(await other.send(command.replace(reference, NOBODY_REF))), command
        assert "Quokka" not in got
    assert reference not in said(await other.send("/tickets"))
    assert "Quokka" in said(await lead.send(f"/ticket {reference}"))
    async with app.database.unit_of_work() as uow:
        readers = (
            await uow.session.execute(
                select(AuditRecord.actor).where(
                    AuditRecord.action == "ticket.read", AuditRecord.subject_id == reference
                )
            )
        ).scalars()
        holder_row = await uow.tickets.by_reference(reference)
    assert holder_row is not None and holder_row.status == "claimed"
    other_officer = await officer_id(app, other)
    assert f"officer:{other_officer}" not in set(readers)


async def officer_id(app: App, person: Parent) -> int:
    from sendbot.core.escalation.officers import officer_key

    async with app.database.unit_of_work() as uow:
        found = await uow.officers.by_key(
            officer_key(app.services.keyring, "telegram", person.chat_id)
        )
    assert found is not None
    return found.id


async def test_a_case_reaches_an_officer_only_through_a_consented_ticket(app: App) -> None:
    _, reference, _ = await victim(app, share_case=False)
    lead = await officer(app, "7770003", role="lead")
    view = said(await lead.send(f"/ticket {reference}"))
    assert "Quokka" in view
    assert CASE_ROW["case_ref"] not in view and "assessing" not in view.lower()
    async with app.database.unit_of_work() as uow:
        case_reads = await uow.session.execute(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "case.read")
        )
        assert case_reads.scalar_one() == 0


# Brute-force linking.


async def test_guessing_codes_pauses_the_chat_even_for_the_right_answer(app: App) -> None:
    guesser = tg(app, "5550009")
    await guesser.send("/start")
    for n in range(5):
        await guesser.link_case(f"ABCDE-2345{n + 2}", "2015-01-01")
    real_code = await code_for(app, CASE_ROW["case_ref"], NOW)
    await guesser.link_case(real_code, CHILD_DOB)
    assert CHILD not in guesser.text()
    assert await count(app, CaseLink) == 0

    await guesser.send("/deleteme")  # erasing one's data does not reset the count
    await guesser.press_shown("p:erase:")
    await guesser.link_case(real_code, CHILD_DOB)
    assert CHILD not in guesser.text()
    assert await count(app, CaseLink) == 0

    owner = tg(app, "5550001")  # the real parent, from another chat, still can
    await owner.link_case(real_code, CHILD_DOB)
    assert CHILD in owner.text()


async def test_a_wrong_code_and_a_wrong_date_of_birth_look_the_same(app: App) -> None:
    real_code = await code_for(app, CASE_ROW["case_ref"], NOW)
    fake, wrong_dob = tg(app, "5550010"), tg(app, "5550011")
    assert said(await fake.link_case("ABCDE-23456", CHILD_DOB)) == said(
        await wrong_dob.link_case(real_code, "2015-05-04")
    )


async def test_many_chats_guessing_one_letters_birth_date_burn_the_code(app: App) -> None:
    real_code = await code_for(app, CASE_ROW["case_ref"], NOW)
    for n in range(5):
        await tg(app, f"66600{n}").link_case(real_code, f"2015-05-{10 + n}")
    thief = tg(app, "6660099")
    await thief.link_case(real_code, CHILD_DOB)
    assert CHILD not in thief.text()
    assert await count(app, CaseLink) == 0


# Markup and invisible characters in what officers see.


class Markup(HTMLParser):
    """Collects tags and link targets."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs.extend(value or "" for name, value in attrs if name == "href")


def markup_of(text: str) -> Markup:
    parser = Markup()
    parser.feed(text)
    return parser


INJECTION = (
    'Help <b>now</b> <a href="javascript:alert(1)">click</a> <script>steal()</script> '
    "*bold* _it_ [site](http://evil.example) \u202eterces\u202c zero\u200bwidth "
    "</i></b> &amp; <tg-spoiler>x</tg-spoiler>"
)


async def officer_group_messages(app: App) -> list[str]:
    async with app.database.unit_of_work() as uow:
        rows = (
            await uow.session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == "ticket-group")
            )
        ).scalars()
        texts = []
        for row in rows:
            texts.append(
                app.services.keyring.decrypt(row.html)
                if row.html.startswith("gAAAAA")
                else row.html
            )
    return texts


def assert_harmless(text: str) -> None:
    parsed = markup_of(text)
    assert set(parsed.tags) <= ALLOWED_TAGS, parsed.tags
    assert not any("javascript" in h or "evil.example" in h for h in parsed.hrefs), parsed.hrefs
    assert "<script" not in text.lower()
    assert not INVISIBLE.search(text)


async def test_markup_and_invisible_characters_reach_officers_as_plain_text(app: App) -> None:
    parent = tg(app, "5550020")
    await parent.send("/start")
    reference = await parent.ask_for_a_person(INJECTION)
    summaries = await officer_group_messages(app)
    assert summaries
    for summary in summaries:
        assert_harmless(summary)
    lead = await officer(app, "7770003", role="lead")
    view = said(await lead.send(f"/ticket {reference}"))
    assert_harmless(view)
    shown = html.unescape(view)
    assert "<b>now</b>" in shown and "[site](http://evil.example)" in shown  # kept, as text
    assert "terces" in shown and "zerowidth" in shown
    listing = said(await lead.send("/tickets"))
    assert_harmless(listing)


# SQL-looking input.


async def test_sql_looking_input_is_only_ever_text(app: App) -> None:
    parent = tg(app, "5550030")
    await parent.send("/start")
    error = app.services.texts.get("error")
    for line in (SQLI, f"/mycase {SQLI}", "/mycase", SQLI, "/menu", f"/ticket {SQLI}"):
        replies = await parent.send(line)
        assert replies and error not in said(replies), line
    reference = await parent.ask_for_a_person(SQLI)
    lead = await officer(app, "7770003", role="lead")
    for line in (f"/ticket {SQLI}", f"/claim {SQLI}", f"/reply {SQLI}", "/ticket ' OR '1'='1"):
        assert error not in said(await lead.send(line)), line
    view = html.unescape(said(await lead.send(f"/ticket {reference}")))
    assert SQLI in view  # stored and shown exactly as typed
    assert await count(app, Case) == 2
    assert await count(app, Conversation) == 2
    async with app.database.unit_of_work() as uow:
        assert (await verify(uow.session, app.services.keyring)).ok


# A whole conversation at DEBUG, then the logs and the database file searched.


async def test_logs_and_the_database_file_hold_no_secret_in_plain_text(
    settings: Settings, tmp_path: Path
) -> None:
    from sendbot.adapters.telegram.delivery import TelegramSender
    from sendbot.core.outbox import deliver_due
    from tests.fakes.bot_api import OFFICERS_CHAT_ID, TOKEN
    from tests.fakes.harness import TelegramChat, debug_logging, telegram_bot

    phone = "07700 900123"
    question = f"My son {CHILD} keeps being sent home, please ring me on {phone}"
    ticket_text = f"Complaint-Marmalade: {CHILD}'s school excluded him, call {phone}"
    reply_text = "Reply-Gooseberry: we will look into it this week"
    parent_id, officer_id_ = 7350014629, 7350099871
    configured = settings.model_copy(update={"officers_chat_id": OFFICERS_CHAT_ID})
    with debug_logging() as logs:
        async with open_app(configured) as app:
            app.services.clock = Clock()
            await seed_cases(app, tmp_path)
            code = await code_for(app, CASE_ROW["case_ref"], NOW)
            async with app.database.unit_of_work() as uow:
                invite, _ = await issue_invite(uow, app.services.keyring, "lead", NOW, 7)
            async with telegram_bot(configured, app) as (api, application):
                parent = TelegramChat(api, application, parent_id)
                staff = TelegramChat(api, application, officer_id_)

                def newest(chat: TelegramChat, prefix: str) -> str:
                    for call in reversed(api.sent(chat.chat_id)):
                        for row in call.keyboard:
                            for button in row:
                                if str(button.get("callback_data", "")).startswith(prefix):
                                    return str(button["callback_data"])
                    raise AssertionError(prefix)

                await parent.send("/start")
                await parent.send(question)
                await parent.send(f"/mycase {code}")
                await parent.send(CHILD_DOB)
                await parent.press_data("k:k:complaint")
                await parent.send(ticket_text)
                await parent.press_data(newest(parent, "k:t:"))
                await parent.press_data(newest(parent, "k:s:"))
                async with app.database.unit_of_work() as uow:
                    (ticket,) = (await uow.session.execute(select(Ticket))).scalars()
                await staff.send(f"/officer {invite}")
                await staff.send(f"/claim {ticket.reference}")
                await staff.send(f"/ticket {ticket.reference}")
                await staff.send(f"/reply {ticket.reference} {reply_text}")
                sender = TelegramSender(application.bot)
                await deliver_due(
                    app.database, app.services.keyring, sender, NOW.replace(year=2030)
                )
                await parent.send("/mydata")
                assert any(reply_text in c.text for c in api.sent(parent_id))  # it did arrive
                assert api.called("sendDocument")
    logged = logs.text
    assert "DEBUG" in logged  # the logging really was at DEBUG
    database = Path(configured.database_url.split("///", 1)[1])
    on_disk = b"".join(
        await asyncio.gather(
            *(asyncio.to_thread(p.read_bytes) for p in database.parent.glob(database.name + "*"))
        )
    )
    secrets = {
        "token": TOKEN,
        "token secret": TOKEN.split(":", 1)[1],
        "question": question,
        "ticket text": "Complaint-Marmalade",
        "reply": "Reply-Gooseberry",
        "child's name": CHILD,
        "phone": phone,
        "phone digits": phone.replace(" ", ""),
        "date of birth": CHILD_DOB,
    }
    for what, secret in secrets.items():
        assert secret not in logged, f"{what} in the logs"
        assert secret.encode() not in on_disk, f"{what} in the database file"
    for chat in (parent_id, officer_id_):
        assert str(chat).encode() not in on_disk, "a chat id in the database file"


# Covering tracks in the audit log.


def audit_verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sendbot", "audit", "verify"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database, replacing the target and its WAL files."""
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    target.unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def tamper(database: Path, *statements: str) -> None:
    """Change the database file directly, as someone with access to it would."""
    connection = sqlite3.connect(database)
    try:
        with connection:
            for statement in statements:
                connection.execute(statement)
    finally:
        connection.close()


async def test_an_officer_cannot_hide_their_reads_from_audit_verify(
    app: App, settings: Settings, env_for_cli: dict[str, str], tmp_path: Path
) -> None:
    _, reference, _ = await victim(app)
    nosy = await officer(app, "7770003", role="lead")
    for _ in range(3):
        await nosy.send(f"/ticket {reference}")
    await app.database.dispose()
    env = dict(env_for_cli, SENDBOT_SECRET_KEY="test-secret-key-not-for-production")
    clean = await asyncio.to_thread(audit_verify, env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    database = Path(settings.database_url.split("///", 1)[1])
    pristine = tmp_path / "pristine.db"
    await asyncio.to_thread(copy_database, database, pristine)
    with contextlib.closing(sqlite3.connect(database)) as connection:
        reads = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM audit_log WHERE action = 'ticket.read' ORDER BY id"
            )
        ]
        last = connection.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    assert len(reads) >= 3
    attacks = {
        "edited": [f"UPDATE audit_log SET actor = 'officer:999' WHERE id = {reads[0]}"],
        "removed": [f"DELETE FROM audit_log WHERE id = {reads[1]}"],
        "reordered": [
            f"UPDATE audit_log SET id = -1 WHERE id = {reads[0]}",
            f"UPDATE audit_log SET id = {reads[0]} WHERE id = {reads[1]}",
            f"UPDATE audit_log SET id = {reads[1]} WHERE id = -1",
        ],
        "cut off the end": [f"DELETE FROM audit_log WHERE id = {last}"],
    }
    for what, statements in attacks.items():
        await asyncio.to_thread(copy_database, pristine, database)
        await asyncio.to_thread(tamper, database, *statements)
        result = await asyncio.to_thread(audit_verify, env)
        assert result.returncode == 1, what
        assert "damaged at record" in result.stdout, what
