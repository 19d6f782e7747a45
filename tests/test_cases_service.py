"""The cases service called directly: a parent finds only the cases linked to them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sendbot.app import App
from sendbot.core.cases import service as cases
from sendbot.core.cases.codes import code_hash, normalise_code
from sendbot.core.people import Parent
from tests.casefiles import code_for, seed
from tests.conftest import TEST_NOW
from tests.privacy_helpers import CASE_ROW

MUM = Parent(chat_key="m" * 64, channel="web", chat_ref=None)
STRANGER = Parent(chat_key="s" * 64, channel="telegram", chat_ref=None)


async def test_link_see_and_unlink_only_ones_own_case(app: App, tmp_path: Path) -> None:
    await seed(app, [CASE_ROW], tmp_path / "cases.csv", TEST_NOW)
    code = normalise_code(await code_for(app, CASE_ROW["case_ref"], TEST_NOW))
    assert code is not None
    hashed = code_hash(app.services.keyring, code)
    born = date.fromisoformat(CASE_ROW["child_dob"])
    async with app.database.unit_of_work() as uow:
        wrong = await cases.link(uow, app.services, STRANGER, hashed, date(2001, 1, 1))
        assert wrong.outcome == "failed" and wrong.case is None
        result = await cases.link(uow, app.services, MUM, hashed, born)
        assert result.outcome == "linked" and result.case is not None
        case_id = result.case.id
        assert [c.id for c in await cases.linked(uow, MUM)] == [case_id]
        assert await cases.linked(uow, STRANGER) == []
        with pytest.raises(cases.CaseNotFound):
            await cases.linked_case(uow, STRANGER, case_id)
        with pytest.raises(cases.CaseNotFound):
            await cases.unlink(uow, STRANGER, case_id)
        assert await cases.pause(uow, app.services, MUM) is None
        assert (await cases.unlink(uow, MUM, case_id)).id == case_id
        assert await cases.linked(uow, MUM) == []
