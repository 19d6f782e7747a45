"""Brute force from many chats: link codes and officer invites, counted in the database.

Each chat has its own limit; on top, a flood of failures from all chats together slows
everyone (kindly), alerts officers once through the outbox and is audited; a code burned
by wrong dates of birth is reported to officers by case reference only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sendbot.app import App, open_app
from sendbot.config import Settings
from sendbot.core.cases.codes import ALPHABET
from sendbot.core.escalation.officers import issue_invite
from sendbot.storage.models import AuditRecord, CaseLink, LinkFailure, Officer, OutboxMessage
from tests.privacy_helpers import CASE_ROW, CHILD, CHILD_DOB, NOW, Clock, Parent, seed_cases
from tests.test_attacks import GROUP

LINK_FLOOD, INVITE_FLOOD = 10, 6
UNKNOWN = "Sorry, I don't know that command."


def flood_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "officers_chat_id": GROUP,
            "link_flood_failures": LINK_FLOOD,
            "invite_flood_failures": INVITE_FLOOD,
            "flood_minutes": 60,
        }
    )


@pytest.fixture
async def app(settings: Settings, tmp_path: Path) -> AsyncIterator[App]:
    """Small flood limits, an officers' group, two cases and a clock moved by hand."""
    async with open_app(flood_settings(settings)) as ready:
        ready.services.clock = Clock()
        await seed_cases(ready, tmp_path)
        yield ready


def tg(app: App, chat_id: str) -> Parent:
    return Parent(app, chat_id, channel="telegram")


async def count(app: App, model: type, *where: object) -> int:
    async with app.database.unit_of_work() as uow:
        query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        return int((await uow.session.execute(query)).scalar_one())


async def alerts(app: App) -> list[str]:
    """The officers' group alerts queued in the outbox, decrypted."""
    async with app.database.unit_of_work() as uow:
        rows = (
            await uow.session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == "security-alert")
            )
        ).scalars()
        return [app.services.keyring.decrypt(row.html) for row in rows]


async def a_code(app: App) -> str:
    from tests.casefiles import code_for

    return await code_for(app, CASE_ROW["case_ref"], NOW)


def wrong_code(n: int) -> str:
    """A well-formed code nobody was given."""
    tail = "".join(ALPHABET[(n // len(ALPHABET) ** i) % len(ALPHABET)] for i in range(5))
    return f"ABCDE-{tail}"


async def guess_from_many_chats(app: App, failures: int, first: int = 0) -> None:
    """Wrong codes, two per chat, so no chat reaches its own limit of five."""
    for n in range(first, first + failures):
        await tg(app, f"7{n // 2:05d}").link_case(wrong_code(n), "2015-01-01")


async def test_a_flood_from_many_chats_slows_linking_for_everyone_and_alerts_once(
    app: App,
) -> None:
    real_code = await a_code(app)
    await guess_from_many_chats(app, LINK_FLOOD - 1)
    assert await alerts(app) == []
    await guess_from_many_chats(app, 1, first=LINK_FLOOD - 1)
    [alert] = await alerts(app)
    assert f"{LINK_FLOOD} in the last 60 minutes" in alert
    owner = tg(app, "5550001")  # the real parent, a fresh chat, the right code
    await owner.send(f"/mycase {real_code}")
    assert "taking linking slowly for everyone" in owner.text()
    assert "Your code from the council still works" in owner.text()
    await owner.send("/mycase")  # told at once, before typing anything
    assert "taking linking slowly" in owner.text()
    await owner.press("c:a")
    assert "taking linking slowly" in owner.text()
    assert await count(app, CaseLink) == 0
    assert await count(app, LinkFailure) == LINK_FLOOD  # a slowed attempt is not a failure
    await guess_from_many_chats(app, 20, first=100)  # refused unchecked: no second alert
    assert len(await alerts(app)) == 1
    assert await count(app, AuditRecord, AuditRecord.action == "security.alert") == 1
    assert isinstance(app.services.clock, Clock)
    app.services.clock.now = NOW + timedelta(minutes=61)  # the failures age out of the window
    await owner.link_case(real_code, CHILD_DOB)
    assert CHILD in owner.text()
    assert await count(app, CaseLink) == 1


async def test_failures_are_shared_by_every_process(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    configured = flood_settings(settings.model_copy(update={"database_url": database_url}))
    async with open_app(configured) as one, open_app(configured) as two:
        one.services.clock = two.services.clock = Clock()
        await seed_cases(one, tmp_path)
        await guess_from_many_chats(one, LINK_FLOOD // 2)
        await guess_from_many_chats(two, LINK_FLOOD - LINK_FLOOD // 2, first=50)
        parent = tg(one, "5550001")
        await parent.send(f"/mycase {await a_code(one)}")
        assert "taking linking slowly" in parent.text()
        assert len(await alerts(two)) == 1


async def test_a_code_burned_by_wrong_dates_of_birth_is_reported_by_reference_only(
    app: App,
) -> None:
    real_code = await a_code(app)
    for n in range(4):
        await tg(app, f"66600{n}").link_case(real_code, f"2015-05-{10 + n}")
    assert await alerts(app) == []
    await tg(app, "666009").link_case(real_code, "2015-05-20")
    [alert] = await alerts(app)
    assert CASE_ROW["case_ref"] in alert and "issue-code" in alert
    for secret in (CHILD, CHILD_DOB, "2015", "05/2015"):
        assert secret not in alert
    async with app.database.unit_of_work() as uow:
        audited = (
            await uow.session.execute(
                select(AuditRecord).where(AuditRecord.action == "security.alert")
            )
        ).scalar_one()
    assert audited.detail == {"case": CASE_ROW["case_ref"]}


async def invite(app: App) -> str:
    async with app.database.unit_of_work() as uow:
        code, _ = await issue_invite(uow, app.services.keyring, "officer", NOW, 7)
    return code


def wrong_invite(n: int) -> str:
    return wrong_code(n).replace("-", "") + "XY"


async def test_wrong_invites_pause_the_chat_are_audited_and_use_nothing_up(app: App) -> None:
    code = await invite(app)
    guesser = tg(app, "8880001")
    for n in range(5):
        assert UNKNOWN in (await guesser.send(f"/officer {wrong_invite(n)}"))[0].html
    assert await count(app, AuditRecord, AuditRecord.action == "officer.invite_failed") == 5
    assert UNKNOWN in (await guesser.send(f"/officer {code}"))[0].html  # paused: unchecked
    assert await count(app, Officer) == 0
    assert await count(app, AuditRecord, AuditRecord.action == "officer.invite_failed") == 5
    assert isinstance(app.services.clock, Clock)
    app.services.clock.now = NOW + timedelta(hours=25)
    joined = await guesser.send(f"/officer {code}")  # the invite was not used up
    assert "registered as" in joined[0].html


async def test_an_invite_flood_from_many_chats_pauses_joining_and_alerts_once(app: App) -> None:
    code = await invite(app)
    for n in range(INVITE_FLOOD):
        await tg(app, f"88810{n:02d}").send(f"/officer {wrong_invite(n)}")
    [alert] = await alerts(app)
    assert "officer invites" in alert and f"{INVITE_FLOOD} in the last 60 minutes" in alert
    officer = tg(app, "8889999")
    assert UNKNOWN in (await officer.send(f"/officer {code}"))[0].html
    for n in range(20):
        await tg(app, f"88820{n:02d}").send(f"/officer {wrong_invite(n)}")
    assert len(await alerts(app)) == 1
    failed = AuditRecord.action == "officer.invite_failed"
    assert await count(app, AuditRecord, failed) == INVITE_FLOOD  # a flood is not logged row by row
    assert isinstance(app.services.clock, Clock)
    app.services.clock.now = NOW + timedelta(minutes=61)
    assert "registered as" in (await officer.send(f"/officer {code}"))[0].html
