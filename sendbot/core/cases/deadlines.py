"""Statutory time limits of an EHC case: pure date arithmetic, no storage, no clock.

The law (England):
- decision whether to assess: within 6 weeks of the request (SEND Regulations 2014, reg 5(1));
- notice that no plan will be issued: within 16 weeks of the request (reg 10(1));
- final plan: within 20 weeks of the request (reg 13(2));
- exceptions to those three: only the four in reg 10(4) (a)-(d) (reg 5(4) has the same four
  for the decision), and only where keeping to the limit is impractical;
- annual review: within 12 months of the plan, then of the last review (CFA 2014 s44(1));
- amended plan after a review: the decision, with the proposed amendments, within 4 weeks of
  the review meeting, then the final amended plan within 8 weeks of sending them (reg 22(3));
  so within 12 weeks of the meeting (R (L and others) v Devon CC [2022] EWHC 493 (Admin));
- phase transfer: plan reviewed and amended naming the next school *before* 15 February of
  the calendar year of the transfer, before 31 March for secondary school to post-16, and at
  least 5 months before a move between post-16 institutions at another time (reg 18).

Every due date below is the last day that is still on time.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

STAGES = (
    "request_received",
    "assessing",
    "refused_to_assess",
    "not_issuing",
    "draft_issued",
    "final_issued",
    "review_due",
    "ceased",
)
EXCEPTION_LETTERS = ("a", "b", "c", "d")
TRANSFER_KINDS = ("school", "post16", "post16_move")

DECISION_WEEKS = 6  # reg 5(1)
NOT_ISSUING_WEEKS = 16  # reg 10(1)
FINAL_WEEKS = 20  # reg 13(2)
REVIEW_MONTHS = 12  # CFA s44(1)
AMENDMENT_WEEKS = 12  # 4 weeks to decide and propose (reg 20), then 8 (reg 22(3))
POST16_MOVE_MONTHS = 5  # reg 18(2)

Status = Literal["met", "late", "overdue", "pending", "unknown"]


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (or earlier), or that month's last day.

    The corresponding-date rule: 12 months from 29 February is 28 February, one month from
    31 January is 28 or 29 February.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_weeks(day: date, weeks: int) -> date:
    """A date a whole number of weeks later."""
    return day + timedelta(weeks=weeks)


def age_on(born: date, on: date) -> int:
    """Age in whole years on a date (a 29 February birthday counts from 1 March)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def transfer_kind(born: date, transfer: date) -> str:
    """Which reg 18 rule a transfer follows, judged from the child's age.

    Children move school in the year groups set by their age on 31 August. A child aged 15
    or under on the 31 August before the move is changing school ("school": before
    15 February); a young person of 16 or more moving at the start of an academic year
    (August or September) is going from school to post-16 ("post16": before 31 March);
    otherwise it is a move between post-16 institutions at another time ("post16_move").
    """
    start_year = transfer.year if transfer.month >= 9 else transfer.year - 1
    age = age_on(born, date(start_year, 8, 31))
    if age <= 15:
        return "school"
    if transfer.month in (8, 9):
        return "post16"
    return "post16_move"


def phase_transfer_due(transfer: date, kind: str) -> date:
    """The last day the plan may be amended for a move, under reg 18."""
    if kind == "post16":
        return date(transfer.year, 3, 30)  # before 31 March
    if kind == "post16_move":
        return add_months(transfer, -POST16_MOVE_MONTHS)  # at least five months before
    return date(transfer.year, 2, 14)  # before 15 February


@dataclass(frozen=True)
class CaseFacts:
    """What the deadlines depend on: the stage and the dates of each step."""

    stage: str
    request_date: date
    decision_date: date | None = None
    draft_date: date | None = None
    final_date: date | None = None
    last_review_date: date | None = None
    next_transfer_date: date | None = None
    transfer_kind: str | None = None
    exception: str | None = None


@dataclass(frozen=True)
class Deadline:
    """One time limit: when it falls due, and when the step was taken if it was."""

    key: str  # decision, not_issuing, final, review, amendment, transfer_<kind>
    due: date
    done: date | None = None
    judged: bool = True  # False when the data cannot show whether it was met
    exception: str | None = None  # a recorded reg 10(4) exception that applies to it

    def status(self, today: date) -> Status:
        """met / late (step taken after the due date) / overdue (not taken, past due) /
        pending (not taken, still in time) / unknown (cannot be judged from the data)."""
        if self.done is not None:
            return "met" if self.done <= self.due else "late"
        if not self.judged:
            return "unknown"
        return "overdue" if today > self.due else "pending"

    def days_over(self, today: date) -> int:
        """Days past the due date: when the step was taken late, or so far if not taken."""
        end = self.done if self.done is not None else today
        return max((end - self.due).days, 0)

    def days_left(self, today: date) -> int:
        """Days until the due date (0 on the day itself or after)."""
        return max((self.due - today).days, 0)


def weeks_and_days(days: int) -> tuple[int, int]:
    """Split a number of days into whole weeks and days."""
    return divmod(days, 7)


def deadlines(facts: CaseFacts) -> list[Deadline]:
    """The time limits that matter at the case's stage, in the order they fall."""
    stage = facts.stage
    request = facts.request_date
    exception = facts.exception if facts.exception in EXCEPTION_LETTERS else None
    found: list[Deadline] = []
    if stage == "ceased":
        return found
    decision_due = add_weeks(request, DECISION_WEEKS)
    if stage == "request_received":
        found.append(Deadline("decision", decision_due, None, exception=exception))
    elif stage in ("assessing", "refused_to_assess", "not_issuing", "draft_issued"):
        judged = facts.decision_date is not None
        found.append(
            Deadline("decision", decision_due, facts.decision_date, judged, exception=exception)
        )
    if stage == "not_issuing":
        # The date of the notice is not in the council's export: show the limit, not a verdict.
        found.append(
            Deadline(
                "not_issuing",
                add_weeks(request, NOT_ISSUING_WEEKS),
                None,
                judged=False,
                exception=exception,
            )
        )
    if stage in ("request_received", "assessing", "draft_issued", "final_issued"):
        done = facts.final_date if stage == "final_issued" else None
        judged = stage != "final_issued" or done is not None
        found.append(
            Deadline("final", add_weeks(request, FINAL_WEEKS), done, judged, exception=exception)
        )
    if stage in ("final_issued", "review_due"):
        base = facts.last_review_date or facts.final_date
        if base is not None:
            found.append(Deadline("review", add_months(base, REVIEW_MONTHS)))
        reviewed = facts.last_review_date
        if reviewed is not None and (facts.final_date is None or facts.final_date < reviewed):
            # The export does not say whether the council decided to amend the plan: show
            # the limit, never a verdict.
            found.append(
                Deadline("amendment", add_weeks(reviewed, AMENDMENT_WEEKS), None, judged=False)
            )
        transfer = facts.next_transfer_date
        if transfer is not None:
            kind = facts.transfer_kind if facts.transfer_kind in TRANSFER_KINDS else "school"
            due = phase_transfer_due(transfer, kind)
            window_start = add_months(transfer, -12)
            final = facts.final_date
            done = final if final is not None and final > window_start else None
            found.append(Deadline(f"transfer_{kind}", due, done))
    return sorted(found, key=lambda d: d.due)


def overdue(facts: CaseFacts, today: date) -> list[Deadline]:
    """The limits that have passed with no next step recorded."""
    return [d for d in deadlines(facts) if d.status(today) == "overdue"]
