"""Case lookup for officers: a case by reference with its statutory clock, each view audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sendbot.core.cases.deadlines import deadlines
from sendbot.core.cases.status import child_name, clock_line, facts_of
from sendbot.core.cases.timefmt import london_today
from sendbot.core.escalation.officers import record
from sendbot.core.services import Services
from sendbot.storage.models import Case, Officer
from sendbot.storage.unit_of_work import UnitOfWork

MAX_REFERENCE = 32


@dataclass(frozen=True)
class Clock:
    """One statutory time limit of a case, as a sentence and a state."""

    line: str
    status: str


@dataclass(frozen=True)
class CaseView:
    """What an officer sees of a case."""

    case: Case
    child: str
    stage: str
    today: date
    clocks: list[Clock]


async def look_up(
    uow: UnitOfWork, services: Services, officer: Officer, reference: str
) -> CaseView | None:
    """The case with this reference and its clock, or None; either way the lookup is audited."""
    reference = reference.strip()[:MAX_REFERENCE]
    case = await uow.cases.by_reference(reference) if reference else None
    await record(
        uow,
        services,
        officer,
        "case.read" if case else "case.lookup_missed",
        reference,
        subject_type="case",
        via="console",
    )
    if case is None:
        return None
    texts = services.texts
    today = london_today(services.clock())
    clocks = [
        Clock(clock_line(texts, d, today), d.status(today)) for d in deadlines(facts_of(case))
    ]
    return CaseView(
        case=case,
        child=child_name(services.keyring, texts, case),
        stage=texts.get(f"cases.stage_names.{case.stage}"),
        today=today,
        clocks=clocks,
    )
