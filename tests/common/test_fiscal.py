from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from casebook.common.fiscal import (
    fiscal_year_bounds,
    fiscal_year_label,
    fiscal_year_of,
    wareki_date,
    wareki_fiscal_year,
)

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def test_31_march_belongs_to_the_previous_fiscal_year():
    assert fiscal_year_of(dt.date(2022, 3, 31)) == 2021


def test_1_april_starts_a_new_fiscal_year():
    assert fiscal_year_of(dt.date(2022, 4, 1)) == 2022


def test_an_aware_datetime_is_judged_in_tokyo_time():
    # 31 March 16:00 UTC is already 1 April 01:00 in Tokyo.
    moment = dt.datetime(2022, 3, 31, 16, 0, tzinfo=dt.UTC)
    assert fiscal_year_of(moment) == 2022


def test_fiscal_year_bounds_are_1_april_to_31_march():
    assert fiscal_year_bounds(2021) == (dt.date(2021, 4, 1), dt.date(2022, 3, 31))


@pytest.mark.parametrize(
    ("fiscal_year", "label"),
    [(2021, "令和3年度"), (2019, "令和元年度"), (2018, "平成30年度"), (2026, "令和8年度")],
)
def test_fiscal_years_have_their_wareki_names(fiscal_year, label):
    assert wareki_fiscal_year(fiscal_year) == label


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(2021, 4, 1), "令和3年4月1日"),
        (dt.date(1989, 1, 7), "昭和64年1月7日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
    ],
)
def test_dates_have_their_wareki_names_at_era_boundaries(day, label):
    assert wareki_date(day) == label


def test_reports_show_the_western_and_the_japanese_year_side_by_side():
    assert fiscal_year_label(2021) == "2021年度（令和3年度）"
