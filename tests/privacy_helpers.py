"""A small world for the privacy and attack tests: parents, a linked case, a ticket."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sendbot.app import App
from sendbot.core import audit
from sendbot.core.messages import Inbound, InboundKind, Outbound
from sendbot.storage.models import Officer
from sendbot.storage.officer_repository import officer_actor
from tests.casefiles import code_for, seed

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CHILD = "Oliver"
CHILD_DOB = "2015-05-03"
CASE_ROW = {
    "case_ref": "TS0001",
    "child_first_name": CHILD,
    "child_dob": CHILD_DOB,
    "request_date": "2026-06-01",
    "stage": "assessing",
    "decision_date": "2026-07-10",
}
OTHER_ROW = {
    "case_ref": "TS0002",
    "child_first_name": "Matilda",
    "child_dob": "2012-01-31",
    "request_date": "2025-01-06",
    "stage": "final_issued",
    "decision_date": "2025-02-10",
    "draft_date": "2025-04-28",
    "final_date": "2025-05-20",
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Parent:
    """One parent's chat driven straight through the dialogue."""

    def __init__(self, app: App, chat_id: str, channel: str = "terminal") -> None:
        self.app = app
        self.chat_id = chat_id
        self.channel = channel
        self.last: list[Outbound] = []

    @property
    def chat_key(self) -> str:
        """The keyed hash this chat is stored under."""
        return self.app.services.keyring.chat_key(self.channel, self.chat_id)

    async def _handle(self, kind: InboundKind, text: str) -> list[Outbound]:
        self.last = await self.app.dialogue.handle(Inbound(self.channel, self.chat_id, kind, text))
        return self.last

    async def send(self, text: str) -> list[Outbound]:
        """Type text, or a command if it starts with a slash."""
        kind = InboundKind.COMMAND if text.startswith("/") else InboundKind.TEXT
        return await self._handle(kind, text)

    async def press(self, data: str) -> list[Outbound]:
        """Press a button carrying this data."""
        return await self._handle(InboundKind.BUTTON, data)

    async def press_shown(self, prefix: str) -> list[Outbound]:
        """Press the newest button shown whose data starts with a prefix."""
        for reply in reversed(self.last):
            for button in reversed(reply.flat_buttons):
                if button.data.startswith(prefix):
                    return await self.press(button.data)
        raise AssertionError(f"no button starting {prefix!r} in {self.last}")

    def text(self) -> str:
        """Everything the last replies said."""
        return "\n".join(r.html for r in self.last)

    async def link_case(self, code: str, dob: str = CHILD_DOB) -> list[Outbound]:
        """Link a case with a code and date of birth."""
        await self.send(f"/mycase {code}")
        return await self.send(dob)

    async def ask_for_a_person(self, text: str, share_case: bool = False) -> str:
        """Send a question to the council through 'Talk to someone'; return its reference."""
        await self.press("k:k:question")
        await self.send(text)
        if share_case:
            await self.press_shown("k:t:")
        await self.press_shown("k:s:")
        async with self.app.database.unit_of_work() as uow:
            tickets = await uow.tickets.parent_tickets(self.chat_key)
        return tickets[0].reference


async def seed_cases(app: App, tmp_path: Path) -> None:
    """Import the two test cases."""
    await seed(app, [CASE_ROW, OTHER_ROW], tmp_path / "cases.csv", NOW)


async def linked_parent(app: App, tmp_path: Path, chat_id: str = "1001") -> Parent:
    """A parent whose chat is linked to the first case."""
    await seed_cases(app, tmp_path)
    parent = Parent(app, chat_id)
    await parent.send("/start")
    await parent.link_case(await code_for(app, CASE_ROW["case_ref"], NOW))
    return parent


async def officer_reads(app: App, reference: str, name: str = "Jo Officer") -> Officer:
    """An officer (made directly) whose reading of a ticket is audited as the bot does."""
    keyring = app.services.keyring
    async with app.database.unit_of_work() as uow:
        officer = await uow.officers.add(
            Officer(
                officer_key=keyring.digest("officer", f"test:{name}"),
                channel="terminal",
                chat_ref=keyring.encrypt("9001"),
                name=name,
                role="officer",
                active=True,
                created_at=NOW,
            )
        )
        await audit.append(
            uow.session,
            keyring,
            actor=officer_actor(officer.id),
            action="ticket.read",
            subject_type="ticket",
            subject_id=reference,
            at=NOW,
        )
    return officer
