"""A linked case's status in plain English: its stage and where it stands against the law."""

from __future__ import annotations

from datetime import date

from sendbot.core.cases.deadlines import CaseFacts, Deadline, deadlines, weeks_and_days
from sendbot.core.cases.timefmt import london_today, long_date
from sendbot.core.formatting import button_label
from sendbot.core.keyring import Keyring
from sendbot.core.messages import Button
from sendbot.kb.loader import KnowledgeBase
from sendbot.kb.texts import Texts
from sendbot.storage.models import Case

# Knowledge entries worth offering at each stage, most useful first.
STAGE_ENTRIES: dict[str, tuple[str, ...]] = {
    "request_received": ("ehcp-timeline", "ehcp-advice-reports"),
    "assessing": ("ehcp-timeline", "ehcp-advice-reports"),
    "refused_to_assess": ("ehcp-refused-assessment", "tribunal-appeal", "mediation"),
    "not_issuing": ("ehcp-refused-plan", "tribunal-appeal", "mediation"),
    "draft_issued": ("ehcp-draft-plan", "ehcp-naming-school", "ehcp-timeline"),
    "final_issued": ("ehcp-final-plan", "tribunal-appeal", "annual-review"),
    "review_due": ("annual-review",),
    "ceased": ("ceasing-plan", "tribunal-appeal"),
}
# Entries for a time limit that was missed.
LATE_ENTRIES: dict[str, tuple[str, ...]] = {
    "decision": ("ehcp-delay", "complain-council"),
    "not_issuing": ("ehcp-delay", "complain-council"),
    "final": ("ehcp-delay", "complain-council"),
    "review": ("annual-review-late", "complain-council"),
    "transfer": ("phase-transfer", "complain-council"),
}
MAX_ENTRY_BUTTONS = 4


def facts_of(case: Case) -> CaseFacts:
    """The deadline facts of a stored case."""
    return CaseFacts(
        stage=case.stage,
        request_date=case.request_date,
        decision_date=case.decision_date,
        draft_date=case.draft_date,
        final_date=case.final_date,
        last_review_date=case.last_review_date,
        next_transfer_date=case.next_transfer_date,
        transfer_kind=case.transfer_kind,
        exception=case.exception,
    )


def child_name(keyring: Keyring, texts: Texts, case: Case) -> str:
    """The child's first name, or a neutral phrase if it cannot be read."""
    try:
        return keyring.decrypt(case.child_name)
    except ValueError:
        return texts.get("cases.your_child")


def duration(texts: Texts, days: int) -> str:
    """'2 weeks and 3 days', '1 week', '5 days'."""
    weeks, rest = weeks_and_days(days)
    parts = []
    if weeks:
        parts.append(
            f"{weeks} {texts.get('cases.units.week' if weeks == 1 else 'cases.units.weeks')}"
        )
    if rest or not weeks:
        parts.append(f"{rest} {texts.get('cases.units.day' if rest == 1 else 'cases.units.days')}")
    return f" {texts.get('cases.units.and')} ".join(parts)


def clock_line(texts: Texts, deadline: Deadline, today: date) -> str:
    """One time limit as a sentence: on time, late and by how much, or how long is left."""
    label = texts.get(f"cases.deadline_names.{deadline.key}")
    status = deadline.status(today)
    due = long_date(deadline.due)
    done = long_date(deadline.done) if deadline.done else ""
    if status == "met":
        return texts.get("cases.clock.met", label=label, due=due, done=done)
    if status == "late":
        by = duration(texts, deadline.days_over(today))
        return texts.get("cases.clock.late", label=label, due=due, done=done, by=by)
    if status == "overdue":
        by = duration(texts, deadline.days_over(today))
        return texts.get("cases.clock.overdue", label=label, due=due, by=by)
    if status == "pending":
        left = deadline.days_left(today)
        if left == 0:
            return texts.get("cases.clock.today", label=label, due=due)
        return texts.get("cases.clock.pending", label=label, due=due, left=duration(texts, left))
    return texts.get("cases.clock.unknown", label=label, due=due)


def status_text(texts: Texts, case: Case, name: str, today: date) -> str:
    """The whole status message for one case."""
    parts = [
        texts.get("cases.status_title", name=name, reference=case.reference),
        texts.get("cases.stage_line") + " " + texts.get(f"cases.stages.{case.stage}", name=name),
    ]
    limits = deadlines(facts_of(case))
    if limits:
        lines = [texts.get("cases.clock_intro", request=long_date(case.request_date))]
        lines += [clock_line(texts, d, today) for d in limits]
        parts.append("\n".join(lines))
    if case.exception and any(d.exception for d in limits):
        parts.append(
            texts.get(
                "cases.exception",
                letter=case.exception,
                reason=texts.get(f"cases.exception_reasons.{case.exception}"),
            )
        )
    parts.append(texts.get("cases.updated", date=long_date(london_today(case.updated_at))))
    return "\n\n".join(parts)


def entry_buttons(kb: KnowledgeBase, case: Case, today: date) -> list[list[Button]]:
    """Buttons to the knowledge entries that help at this stage (only those that exist)."""
    wanted: list[str] = []
    for deadline in deadlines(facts_of(case)):
        if deadline.status(today) in ("late", "overdue"):
            key = "transfer" if deadline.key.startswith("transfer") else deadline.key
            wanted += LATE_ENTRIES.get(key, ())
    wanted += STAGE_ENTRIES.get(case.stage, ())
    if case.next_transfer_date is not None and case.stage in ("final_issued", "review_due"):
        wanted.append("phase-transfer")
    wanted.append("ehcp-timeline")
    chosen: list[str] = []
    for entry_id in wanted:
        if entry_id in kb.entries and entry_id not in chosen:
            chosen.append(entry_id)
    return [
        [Button(button_label(kb.entries[i].title), f"e:{i}")] for i in chosen[:MAX_ENTRY_BUTTONS]
    ]
