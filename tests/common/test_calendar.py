from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from casebook.common.calendar import (
    add_business_days,
    business_days_between,
    is_business_day,
    japanese_holiday_name,
)

D = dt.date


def test_weekdays_are_business_days_and_weekends_are_not():
    assert is_business_day(D(2026, 6, 10))  # Wednesday
    assert not is_business_day(D(2026, 6, 13))  # Saturday
    assert not is_business_day(D(2026, 6, 14))  # Sunday


def test_golden_week_holidays_are_not_business_days():
    for day in (D(2026, 4, 29), D(2026, 5, 4), D(2026, 5, 5), D(2026, 5, 6)):
        assert not is_business_day(day), day
    assert japanese_holiday_name(D(2026, 5, 5)) == "こどもの日"
    # 6 May 2026 is a substitute holiday (振替休日) for Constitution Day on a Sunday.
    assert japanese_holiday_name(D(2026, 5, 6)) is not None
    assert is_business_day(D(2026, 4, 30))
    assert is_business_day(D(2026, 5, 1))


def test_adding_business_days_across_golden_week_skips_the_holidays():
    assert add_business_days(D(2026, 4, 28), 1) == D(2026, 4, 30)
    assert add_business_days(D(2026, 5, 1), 1) == D(2026, 5, 7)
    assert add_business_days(D(2026, 4, 28), 5) == D(2026, 5, 11)


def test_counting_business_days_across_golden_week():
    assert business_days_between(D(2026, 4, 28), D(2026, 5, 11)) == 5
    assert business_days_between(D(2026, 5, 1), D(2026, 5, 6)) == 0
    assert business_days_between(D(2026, 5, 11), D(2026, 4, 28)) == -5


def test_the_new_year_closure_is_skipped_on_top_of_the_public_holiday():
    # 29 Dec 2025 (Mon) to 2 Jan 2026 (Fri) are weekdays: only 1 Jan is a public holiday.
    assert not is_business_day(D(2025, 12, 29))
    assert not is_business_day(D(2026, 1, 2))
    assert add_business_days(D(2025, 12, 26), 1) == D(2026, 1, 5)
    assert business_days_between(D(2025, 12, 26), D(2026, 1, 5)) == 1


def test_the_new_year_closure_across_a_year_end_falling_midweek():
    assert add_business_days(D(2026, 12, 28), 1) == D(2027, 1, 4)
    assert business_days_between(D(2026, 12, 25), D(2027, 1, 5)) == 3


@override_settings(CASEBOOK_CLOSED_DAYS=[])
def test_closed_days_follow_the_setting():
    assert is_business_day(D(2025, 12, 29))
    assert add_business_days(D(2025, 12, 26), 1) == D(2025, 12, 29)


@override_settings(CASEBOOK_CLOSED_DAYS=["12-29", "2026-08-13"])
def test_a_closed_day_may_name_a_single_date():
    assert not is_business_day(D(2026, 8, 13))
    assert is_business_day(D(2027, 8, 13))
    assert is_business_day(D(2025, 12, 30))


def test_zero_business_days_from_a_holiday_moves_to_the_next_business_day():
    assert add_business_days(D(2026, 5, 3), 0) == D(2026, 5, 7)
    assert add_business_days(D(2026, 5, 7), 0) == D(2026, 5, 7)


def test_counting_backwards_skips_the_same_days():
    assert add_business_days(D(2026, 5, 7), -1) == D(2026, 5, 1)
    assert add_business_days(D(2027, 1, 4), -1) == D(2026, 12, 28)


@pytest.mark.parametrize("n", [1, 3, 10, 25])
def test_adding_then_counting_gives_back_the_same_number(n):
    start = D(2026, 4, 24)
    assert business_days_between(start, add_business_days(start, n)) == n


@override_settings(CASEBOOK_CLOSED_DAYS=["12/29"])
def test_a_malformed_closed_day_is_reported():
    with pytest.raises(ValueError, match="12/29"):
        is_business_day(D(2026, 12, 29))
