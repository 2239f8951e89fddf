"""The statutory deadlines of an orderly closure (docs/exits.md, "Statutory deadlines")."""

from __future__ import annotations

import datetime as dt

import pytest

from casebook.exits.deadlines import (
    Rule,
    Statute,
    add_months,
    breaks,
    statutory_deadlines,
    two_month_period_end,
    within_two_months,
    within_two_weeks,
)

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 15), 2, D(2026, 3, 15)),
        (D(2025, 12, 31), 2, D(2026, 2, 28)),  # no 31 February: the month's last day
        (D(2023, 12, 31), 2, D(2024, 2, 29)),  # a leap year's February
        (D(2026, 11, 30), 2, D(2027, 1, 30)),  # across the year end
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
    ],
)
def test_a_period_of_months_ends_on_the_day_numbered_like_its_start_or_the_months_last_day(
    start, months, expected
):
    assert add_months(start, months) == expected


def test_a_filing_within_two_weeks_is_due_fourteen_days_later_on_an_open_day():
    # Resolved on Wednesday 2026-06-03: the 17th is a Wednesday.
    assert within_two_weeks(D(2026, 6, 3)) == D(2026, 6, 17)


def test_a_filing_deadline_on_a_saturday_moves_to_the_monday():
    # 2026-06-06 (Sat) + 14 days = 2026-06-20 (Sat) -> Monday 22nd.
    assert within_two_weeks(D(2026, 6, 6)) == D(2026, 6, 22)


def test_a_filing_deadline_on_a_public_holiday_moves_past_the_holidays():
    # 2026-04-21 + 14 = 2026-05-05 (こどもの日), then the substitute holiday on the 6th.
    assert within_two_weeks(D(2026, 4, 21)) == D(2026, 5, 7)


def test_a_filing_deadline_in_the_new_year_holidays_moves_to_the_4th_of_january():
    # 2026-12-17 + 14 = 2026-12-31: the offices reopen on Monday 2027-01-04.
    assert within_two_weeks(D(2026, 12, 17)) == D(2027, 1, 4)


def test_the_final_tax_return_is_due_two_months_after_the_dissolution_across_month_ends():
    assert within_two_months(D(2023, 12, 31)) == D(2024, 2, 29)  # Thursday, leap year
    assert within_two_months(D(2026, 12, 31)) == D(2027, 3, 1)  # 2027-02-28 is a Sunday


def test_the_creditors_notice_period_never_moves_even_onto_a_holiday():
    # Published 2026-03-03: the period runs to 2026-05-03 (憲法記念日), and ends there.
    assert two_month_period_end(D(2026, 3, 3)) == D(2026, 5, 3)


def test_deadlines_follow_only_the_dates_entered():
    assert (
        statutory_deadlines(
            dissolution_resolved_on=None,
            dissolved_on=None,
            gazette_notice_on=None,
            liquidation_report_approved_on=None,
        )
        == {}
    )
    found = statutory_deadlines(
        dissolution_resolved_on=D(2026, 6, 3),
        dissolved_on=None,
        gazette_notice_on=D(2026, 6, 10),
        liquidation_report_approved_on=D(2026, 9, 1),
    )
    assert found[Statute.DISSOLUTION_REGISTRATION].on == D(2026, 6, 17)
    assert found[Statute.FINAL_TAX_RETURN].on == D(2026, 8, 3)  # 8/3 is a Monday
    assert found[Statute.CREDITOR_PERIOD].on == D(2026, 8, 10)
    assert found[Statute.CREDITOR_PERIOD].rule == Rule.AFTER
    assert found[Statute.COMPLETION_REGISTRATION].on == D(2026, 9, 15)


def test_a_later_dissolution_date_moves_the_tax_return_but_not_the_registration():
    found = statutory_deadlines(
        dissolution_resolved_on=D(2026, 6, 3),
        dissolved_on=D(2026, 6, 30),
        gazette_notice_on=None,
        liquidation_report_approved_on=None,
    )
    assert found[Statute.DISSOLUTION_REGISTRATION].on == D(2026, 6, 17)
    assert found[Statute.FINAL_TAX_RETURN].on == D(2026, 8, 31)


def test_a_step_due_by_a_deadline_breaks_it_after_and_a_step_after_a_period_on_its_last_day():
    deadline = D(2026, 6, 17)
    assert not breaks(deadline, Rule.BY, deadline)
    assert breaks(deadline, Rule.BY, deadline + dt.timedelta(days=1))
    assert breaks(deadline, Rule.AFTER, deadline)
    assert not breaks(deadline, Rule.AFTER, deadline + dt.timedelta(days=1))
    assert not breaks(None, Rule.BY, deadline)
