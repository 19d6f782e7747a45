"""Fill a letter template from a linked case and the council's local pack.

The letter is made when the parent asks for it and handed back at once: nothing here
writes to storage or logs, and the parent's own words never reach a template (templates
come from knowledge/letters/; the case only supplies values).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sendbot.core.cases.deadlines import Deadline, deadlines
from sendbot.core.cases.status import duration, facts_of
from sendbot.core.cases.timefmt import long_date
from sendbot.kb.letters import LetterTemplate
from sendbot.kb.loader import KnowledgeBase
from sendbot.kb.texts import Texts
from sendbot.storage.models import Case

REPLY_DAYS = 14
# Limits the export cannot judge, for which a letter still helps once the date has passed.
UNJUDGED_LETTERS = ("amendment",)
_FILE_CHARS = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class Letter:
    """One filled letter and what to do if nothing happens."""

    key: str
    title: str
    subject: str
    text: str
    next_steps: str
    law: str
    reviewed: date
    stem: str  # a safe file name without its extension


def letter_due(deadline: Deadline, today: date) -> bool:
    """Whether a time limit has passed with no next step recorded, so a letter fits."""
    status = deadline.status(today)
    if status == "overdue":
        return True
    return status == "unknown" and deadline.key in UNJUDGED_LETTERS and today > deadline.due


def available(
    case: Case, today: date, letters: dict[str, LetterTemplate]
) -> list[tuple[Deadline, LetterTemplate]]:
    """The letters that fit this case today, in the order the limits fell."""
    return [
        (d, letters[d.key])
        for d in deadlines(facts_of(case))
        if d.key in letters and letter_due(d, today)
    ]


def _plain(texts: Texts, key: str, **values: object) -> str:
    """A sentence from messages.yaml filled with plain (not HTML-escaped) values."""
    template = texts.raw(key)
    assert isinstance(template, str)
    return template.format(**values)


def values_for(
    deadline: Deadline, case: Case, name: str, kb: KnowledgeBase, texts: Texts, today: date
) -> dict[str, Any]:
    """Every placeholder's value for this case and limit."""
    contacts = kb.council.contacts if kb.council else {}
    team = contacts.get("sen_team")
    exception = deadline.exception or ""
    start = case.last_review_date or case.final_date
    return {
        "council_name": kb.council_name,
        "team_name": team.name if team else "SEN team",
        "team_email": (team.email or "") if team else "",
        "team_address": (team.address or "") if team else "",
        "child_name": name,
        "reference": case.reference,
        "today": long_date(today),
        "reply_by": long_date(today + timedelta(days=REPLY_DAYS)),
        "reply_days": REPLY_DAYS,
        "request_date": long_date(case.request_date),
        "due_date": long_date(deadline.due),
        "late_by": duration(texts, deadline.days_over(today)),
        "start_date": long_date(start) if start else "",
        "transfer_date": long_date(case.next_transfer_date) if case.next_transfer_date else "",
        "transfer_kind": deadline.key.removeprefix("transfer_")
        if deadline.key.startswith("transfer_")
        else "",
        "exception": exception,
        "exception_reason": (
            _plain(texts, f"letters.exception_reasons.{exception}") if exception else ""
        ),
    }


def compose(
    template: LetterTemplate,
    deadline: Deadline,
    case: Case,
    name: str,
    kb: KnowledgeBase,
    texts: Texts,
    today: date,
) -> Letter:
    """The whole letter: the parent's and the council's details, the body, the sign-off."""
    values = values_for(deadline, case, name, kb, texts, today)
    subject, body, next_steps = template.render(values)
    team, council = values["team_name"], values["council_name"]
    top = _plain(
        texts,
        "letters.frame_top",
        today=values["today"],
        to=team if council in team else f"{team}, {council}",
    )
    lines = [top]
    if values["team_address"]:
        lines.append(values["team_address"])
    if values["team_email"]:
        lines.append(_plain(texts, "letters.frame_email", email=values["team_email"]))
    parts = [
        "\n".join(lines),
        _plain(texts, "letters.frame_greeting"),
        f"Re: {subject}",
        _tidy(body),
        _plain(texts, "letters.frame_bottom", name=name),
    ]
    stem = _FILE_CHARS.sub("-", f"letter-{case.reference}-{template.id}").strip("-")
    return Letter(
        key=deadline.key,
        title=template.title,
        subject=subject,
        text="\n\n".join(parts) + "\n",
        next_steps=_tidy(next_steps),
        law=template.law,
        reviewed=template.reviewed,
        stem=stem,
    )


def _tidy(text: str) -> str:
    """At most one blank line between paragraphs, no trailing spaces."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
