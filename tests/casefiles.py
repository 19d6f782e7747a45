"""Case CSV files for the tests: small hand-made ones and large synthetic ones."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sendbot.bench.casedata import HEADER, NAMES, synthetic_rows, write_csv

__all__ = ["HEADER", "NAMES", "code_for", "seed", "synthetic_rows", "write_csv"]

if TYPE_CHECKING:
    from datetime import datetime

    from sendbot.app import App
    from sendbot.core.cases.importer import ImportReport


async def seed(app: App, rows: list[dict[str, str]], path: Path, now: datetime) -> ImportReport:
    """Import rows into an app's database, failing the test on any problem."""
    from sendbot.core.cases.importer import import_cases

    write_csv(path, rows)
    report = await import_cases(app.database, app.services.keyring, app.services.texts, path, now)
    assert report.problems == [], [str(p) for p in report.problems]
    return report


async def code_for(app: App, reference: str, now: datetime, days: int = 30) -> str:
    """Issue a link code for a case as the council would."""
    from sendbot.core.cases.issuing import issue_code

    async with app.database.unit_of_work() as uow:
        issued = await issue_code(uow, app.services.keyring, reference, now, days)
    assert issued is not None
    return issued.code
