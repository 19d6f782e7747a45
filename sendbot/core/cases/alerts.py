"""Alerts to linked parents: a stage changed, or a time limit passed with no next step.

Each alert is saved to the outbox (persisted before any attempt to send) with a dedupe key
naming the case, the event and the chat, so it is never sent twice; none leaves between
21:00 and 08:00 UK time. Alerts name the case reference and stage, never the child.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sendbot.core.cases.deadlines import Deadline, overdue
from sendbot.core.cases.status import facts_of
from sendbot.core.cases.timefmt import london_today, long_date, not_before
from sendbot.core.messages import Button, Outbound
from sendbot.core.outbox import enqueue
from sendbot.kb.texts import Texts
from sendbot.storage.db import Database
from sendbot.storage.models import CaseLink
from sendbot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

FAILURE_RETENTION = timedelta(days=7)
PAGE = 500


def _open_button(texts: Texts, case_id: int) -> tuple[tuple[Button, ...], ...]:
    """A button that opens the case's status (only for a chat linked to it)."""
    return ((Button(texts.get("cases.alert_open"), f"c:v:{case_id}"),),)


def stage_alert(texts: Texts, case_id: int, reference: str, stage: str) -> Outbound:
    """The message telling a parent their case moved to a new stage."""
    html = texts.get(
        "cases.alert_stage", reference=reference, stage=texts.get(f"cases.stage_names.{stage}")
    )
    return Outbound(
        html=html, buttons=((Button(texts.get("cases.alert_open"), f"c:v:{case_id}"),),)
    )


def overdue_alert(texts: Texts, case_id: int, reference: str, deadline: Deadline) -> Outbound:
    """The message telling a parent a time limit passed with no next step recorded."""
    html = texts.get(
        "cases.alert_overdue",
        reference=reference,
        step=texts.get(f"cases.deadline_names.{deadline.key}"),
        due=long_date(deadline.due),
    )
    return Outbound(
        html=html, buttons=((Button(texts.get("cases.alert_open"), f"c:v:{case_id}"),),)
    )


async def alert_links(
    uow: UnitOfWork,
    links: list[CaseLink],
    *,
    case_id: int,
    event_id: int,
    kind: str,
    message: Outbound,
    now: datetime,
) -> int:
    """Queue one alert per linked chat; return how many were newly queued."""
    queued = 0
    send_at = not_before(now)
    for link in links:
        if not link.chat_ref:
            continue
        saved = await enqueue(
            uow,
            dedupe_key=f"case:{case_id}:{kind}:{event_id}:{link.chat_key}",
            channel=link.channel,
            chat_ref=link.chat_ref,
            message=message,
            kind=f"case-{kind}",
            not_before=send_at,
        )
        queued += int(saved)
    return queued


@dataclass(frozen=True)
class DeadlineReport:
    """What one deadline check did."""

    checked: int = 0
    passed: int = 0
    alerts: int = 0
    purged: int = 0


async def check_deadlines(database: Database, texts: Texts, now: datetime) -> DeadlineReport:
    """Record each time limit that passed with no next step on a linked case, and alert.

    A limit is recorded once (an 'overdue' event); the chats linked on or before its due
    date are told, so a parent who links after a limit passed (and saw it in the status)
    gets no stale alert. Old failed link attempts are forgotten here too.
    """
    today = london_today(now)
    checked = passed = alerts = 0
    after = 0
    while True:
        async with database.unit_of_work() as uow:
            ids = await uow.cases.linked_case_ids(after, PAGE)
            if not ids:
                break
            after = ids[-1]
            checked += len(ids)
            cases = await uow.cases.cases_by_id(ids)
            late = {cid: overdue(facts_of(case), today) for cid, case in cases.items()}
            late = {cid: found for cid, found in late.items() if found}
            if not late:
                continue
            seen = {
                (e.case_id, str(e.detail.get("deadline")), str(e.detail.get("due")))
                for e in await uow.cases.events_of_kind(list(late), "overdue")
            }
            new: list[tuple[int, Deadline]] = [
                (cid, d)
                for cid, found in late.items()
                for d in found
                if (cid, d.key, d.due.isoformat()) not in seen
            ]
            if not new:
                continue
            event_ids = [
                await uow.cases.add_event(
                    {
                        "case_id": cid,
                        "at": now,
                        "kind": "overdue",
                        "stage": cases[cid].stage,
                        "detail": {"deadline": d.key, "due": d.due.isoformat()},
                    }
                )
                for cid, d in new
            ]
            passed += len(new)
            links = await uow.cases.links_for(sorted({cid for cid, _ in new}))
            for (cid, deadline), event_id in zip(new, event_ids, strict=True):
                eligible = [
                    link
                    for link in links.get(cid, [])
                    if london_today(link.created_at) <= deadline.due
                ]
                message = overdue_alert(texts, cid, cases[cid].reference, deadline)
                alerts += await alert_links(
                    uow,
                    eligible,
                    case_id=cid,
                    event_id=event_id,
                    kind="due",
                    message=message,
                    now=now,
                )
    async with database.unit_of_work() as uow:
        purged = await uow.cases.purge_failures(now - FAILURE_RETENTION)
    if passed or alerts:
        log.info("case deadlines: %d passed, %d alerts queued", passed, alerts)
    return DeadlineReport(checked=checked, passed=passed, alerts=alerts, purged=purged)
