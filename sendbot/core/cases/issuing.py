"""Issuing link codes for the council's letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sendbot.core.cases.codes import code_hash, new_code, normalise_code
from sendbot.core.keyring import Keyring
from sendbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class IssuedCode:
    """A code as printed on a letter (shown once, stored only hashed)."""

    reference: str
    code: str
    expires_at: datetime


def _row(keyring: Keyring, case_id: int, code: str, now: datetime, days: int) -> dict[str, object]:
    normalised = normalise_code(code)
    assert normalised is not None
    return {
        "case_id": case_id,
        "code_hash": code_hash(keyring, normalised),
        "created_at": now,
        "expires_at": now + timedelta(days=days),
    }


async def issue_code(
    uow: UnitOfWork, keyring: Keyring, reference: str, now: datetime, days: int
) -> IssuedCode | None:
    """A new code for one case, or None if there is no case with that reference."""
    case = await uow.cases.by_reference(reference.strip().upper())
    if case is None:
        return None
    code = new_code()
    await uow.cases.add_codes([_row(keyring, case.id, code, now, days)])
    return IssuedCode(case.reference, code, now + timedelta(days=days))


async def issue_codes_for_unlinked(
    uow: UnitOfWork, keyring: Keyring, now: datetime, days: int
) -> list[IssuedCode]:
    """A new code for every case no parent has linked yet, by reference."""
    issued: list[IssuedCode] = []
    rows = []
    for case_id, reference in await uow.cases.unlinked_cases():
        code = new_code()
        rows.append(_row(keyring, case_id, code, now, days))
        issued.append(IssuedCode(reference, code, now + timedelta(days=days)))
    await uow.cases.add_codes(rows)
    return issued
