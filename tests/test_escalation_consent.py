"""What a parent consents to share is what is sent: the escalation service's `send`.

Local Offer feedback with no reply wanted goes with no link to the parent and no ticket;
a case is shared only on a kind whose consent screen offers one, and only if it is linked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sendbot.app import App, open_app
from sendbot.config import Settings
from sendbot.core.escalation.service import parents
from sendbot.core.escalation.tickets import KINDS, Draft, shares_case
from sendbot.core.flows.ticket_notices import chat_desk
from sendbot.core.people import Parent
from sendbot.storage.models import OfferFeedback
from tests.privacy_helpers import Clock, linked_parent


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    """The app with the privacy tests' clock (their case import is dated by it)."""
    async with open_app(settings) as ready:
        ready.services.clock = Clock()
        yield ready


async def _linked(app: App, tmp_path: Path) -> tuple[Parent, int]:
    """A parent (as the services know them) with one linked case; the case's id."""
    chat = await linked_parent(app, tmp_path)
    parent = Parent(chat.chat_key, chat.channel, app.services.keyring.encrypt(chat.chat_id))
    async with app.database.unit_of_work() as uow:
        (case,) = await parents.shareable_cases(uow, parent)
    return parent, case.id


def test_only_feedback_never_shares_a_case() -> None:
    assert [kind for kind in KINDS if not shares_case(kind)] == ["offer"]


async def test_feedback_with_no_reply_wanted_is_anonymous_and_makes_no_ticket(
    app: App, tmp_path: Path
) -> None:
    parent, case_id = await _linked(app, tmp_path)
    draft = Draft(kind="offer", text="More sensory rooms please", token="t1", case_id=case_id)
    async with app.database.unit_of_work() as uow:
        sent = await parents.send(uow, chat_desk(app.services), parent, draft)
        assert isinstance(sent, OfferFeedback)
        assert sent.anonymous and sent.ticket_id is None
        assert await uow.tickets.parent_tickets(parent.chat_key) == []


async def test_feedback_wanting_a_reply_is_a_ticket_that_shares_no_case(
    app: App, tmp_path: Path
) -> None:
    parent, case_id = await _linked(app, tmp_path)
    draft = Draft("offer", "Who runs the holiday club?", "t2", case_id=case_id, wants_reply=True)
    async with app.database.unit_of_work() as uow:
        sent = await parents.send(uow, chat_desk(app.services), parent, draft)
        assert not isinstance(sent, OfferFeedback)
        assert sent.created and sent.ticket.case_id is None and sent.ticket.case_ref is None


async def test_a_question_shares_the_linked_case_it_names_and_no_other(
    app: App, tmp_path: Path
) -> None:
    parent, case_id = await _linked(app, tmp_path)
    desk = chat_desk(app.services)
    async with app.database.unit_of_work() as uow:
        named = Draft(kind="question", text="When is the panel?", token="t3", case_id=case_id)
        sent = await parents.send(uow, desk, parent, named)
        assert not isinstance(sent, OfferFeedback) and sent.ticket.case_id == case_id
        unlinked = Draft(kind="question", text="And this one?", token="t4", case_id=case_id + 1)
        other = await parents.send(uow, desk, parent, unlinked)
        assert not isinstance(other, OfferFeedback) and other.ticket.case_id is None
