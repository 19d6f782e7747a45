"""Statutory deadline arithmetic: weeks from the request, 12-month reviews, phase transfers."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sendbot.core.cases.deadlines import (
    CaseFacts,
    Deadline,
    add_months,
    age_on,
    deadlines,
    overdue,
    phase_transfer_due,
    transfer_kind,
    weeks_and_days,
)

DATES = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
MONTHS = st.integers(min_value=-600, max_value=600)


def by_key(found: list[Deadline]) -> dict[str, Deadline]:
    return {d.key: d for d in found}


@given(DATES, MONTHS)
def test_add_months_lands_in_the_right_month_on_the_same_day_or_the_last(
    day: date, months: int
) -> None:
    result = add_months(day, months)
    index = day.year * 12 + day.month - 1 + months
    assert (result.year, result.month) == (index // 12, index % 12 + 1)
    last = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(day.day, last)


@given(DATES, DATES, st.integers(min_value=0, max_value=240))
def test_add_months_never_reorders_dates(first: date, second: date, months: int) -> None:
    early, late = sorted((first, second))
    assert add_months(early, months) <= add_months(late, months)


def test_month_ends_and_leap_days() -> None:
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 48) == date(2028, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 8, 31), -6) == date(2025, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


@given(DATES, st.sampled_from(["request_received", "assessing", "draft_issued"]))
def test_six_and_twenty_weeks_from_the_request(request: date, stage: str) -> None:
    found = by_key(deadlines(CaseFacts(stage=stage, request_date=request)))
    assert found["decision"].due == request + timedelta(days=42)
    assert found["final"].due == request + timedelta(days=140)
    assert found["final"].due.weekday() == request.weekday()


@given(DATES, st.integers(min_value=0, max_value=400))
def test_on_time_or_late_by_exactly_the_days_between(due: date, offset: int) -> None:
    done = due + timedelta(days=offset - 200)
    deadline = Deadline("final", due, done)
    if done <= due:
        assert deadline.status(date(2200, 1, 1)) == "met"
        assert deadline.days_over(date(2200, 1, 1)) == 0
    else:
        assert deadline.status(date(2200, 1, 1)) == "late"
        assert deadline.days_over(date(2200, 1, 1)) == (done - due).days


@given(DATES, st.integers(min_value=-100, max_value=100))
def test_not_done_is_pending_until_the_due_date_then_overdue(due: date, offset: int) -> None:
    today = due + timedelta(days=offset)
    deadline = Deadline("decision", due)
    if offset <= 0:
        assert deadline.status(today) == "pending"
        assert deadline.days_left(today) == -offset
    else:
        assert deadline.status(today) == "overdue"
        assert deadline.days_over(today) == offset


@given(st.integers(min_value=0, max_value=5000))
def test_weeks_and_days_add_up(days: int) -> None:
    weeks, rest = weeks_and_days(days)
    assert weeks * 7 + rest == days and 0 <= rest < 7


@given(DATES)
def test_annual_review_is_due_12_months_after_the_plan_or_last_review(final: date) -> None:
    facts = CaseFacts(
        stage="final_issued", request_date=final - timedelta(days=100), final_date=final
    )
    review = by_key(deadlines(facts))["review"]
    assert review.due == add_months(final, 12)
    assert review.status(review.due) == "pending"
    assert review.status(review.due + timedelta(days=1)) == "overdue"
    later = CaseFacts(
        stage="review_due",
        request_date=final - timedelta(days=100),
        final_date=final,
        last_review_date=final + timedelta(days=300),
    )
    assert by_key(deadlines(later))["review"].due == add_months(final + timedelta(days=300), 12)


def test_a_plan_issued_on_29_february_is_reviewed_by_28_february() -> None:
    facts = CaseFacts(
        stage="final_issued", request_date=date(2023, 10, 12), final_date=date(2024, 2, 29)
    )
    review = by_key(deadlines(facts))["review"]
    assert review.due == date(2025, 2, 28)
    assert overdue(facts, date(2025, 2, 28)) == []
    assert [d.key for d in overdue(facts, date(2025, 3, 1))] == ["review"]


@given(DATES.filter(lambda d: 2000 < d.year < 2090))
def test_phase_transfer_is_due_before_15_february_of_the_year_of_transfer(transfer: date) -> None:
    due = phase_transfer_due(transfer, "school")
    assert due == date(transfer.year, 2, 14)
    assert phase_transfer_due(transfer, "post16") == date(transfer.year, 3, 30)
    assert phase_transfer_due(transfer, "post16_move") == add_months(transfer, -5)


def test_the_15_february_rule_on_time_and_late() -> None:
    def transfer(final: date) -> Deadline:
        facts = CaseFacts(
            stage="final_issued",
            request_date=date(2020, 1, 6),
            final_date=final,
            last_review_date=date(2026, 1, 20),
            next_transfer_date=date(2027, 9, 1),
            transfer_kind="school",
        )
        return by_key(deadlines(facts))["transfer_school"]

    on_time = transfer(date(2027, 2, 14))
    assert on_time.due == date(2027, 2, 14) and on_time.status(date(2027, 6, 1)) == "met"
    late = transfer(date(2027, 2, 15))
    assert late.status(date(2027, 6, 1)) == "late" and late.days_over(date(2027, 6, 1)) == 1
    # A plan from before the 12 months leading up to the move does not count as amended.
    stale = transfer(date(2026, 8, 1))
    assert stale.done is None
    assert stale.status(date(2027, 2, 14)) == "pending"
    assert stale.status(date(2027, 2, 15)) == "overdue"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2020, 12, 31)))
def test_transfer_kind_follows_the_school_year_of_birth(born: date) -> None:
    cohort = born.year if born.month >= 9 else born.year - 1  # school year of birth
    assert transfer_kind(born, date(cohort + 5, 9, 1)) == "school"  # into reception
    assert transfer_kind(born, date(cohort + 12, 9, 1)) == "school"  # into year 7
    assert transfer_kind(born, date(cohort + 17, 9, 1)) == "post16"  # into year 12
    assert transfer_kind(born, date(cohort + 18, 1, 8)) == "post16_move"


def test_age_on_birthdays_and_leap_days() -> None:
    assert age_on(date(2015, 5, 3), date(2026, 5, 2)) == 10
    assert age_on(date(2015, 5, 3), date(2026, 5, 3)) == 11
    assert age_on(date(2012, 2, 29), date(2026, 2, 28)) == 13
    assert age_on(date(2012, 2, 29), date(2026, 3, 1)) == 14


def test_which_limits_each_stage_shows() -> None:
    request = date(2026, 1, 5)

    def keys(stage: str, **dates: date) -> list[str]:
        return [d.key for d in deadlines(CaseFacts(stage=stage, request_date=request, **dates))]

    assert keys("request_received") == ["decision", "final"]
    assert keys("refused_to_assess", decision_date=date(2026, 2, 1)) == ["decision"]
    assert keys("not_issuing", decision_date=date(2026, 2, 1)) == ["decision", "not_issuing"]
    assert keys("draft_issued", draft_date=date(2026, 4, 1)) == ["decision", "final"]
    assert keys("final_issued", final_date=date(2026, 5, 1)) == ["final", "review"]
    assert keys("ceased") == []


def test_an_exception_is_carried_on_the_assessment_limits_only() -> None:
    facts = CaseFacts(
        stage="final_issued",
        request_date=date(2025, 1, 6),
        final_date=date(2025, 7, 1),
        exception="c",
    )
    found = by_key(deadlines(facts))
    assert found["final"].exception == "c"
    assert found["review"].exception is None
    assert (
        by_key(deadlines(CaseFacts("assessing", date(2025, 1, 6), exception="z")))[
            "final"
        ].exception
        is None
    )


def test_unknown_decision_date_is_not_judged() -> None:
    found = by_key(deadlines(CaseFacts(stage="assessing", request_date=date(2026, 1, 5))))
    assert found["decision"].status(date(2026, 12, 1)) == "unknown"
    assert found["final"].status(date(2026, 12, 1)) == "overdue"
