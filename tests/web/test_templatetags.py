from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation

from casebook.intake.templatetags.casebook_tags import age_days, fiscal_year, jdate, wareki, yen


def test_dates_read_the_japanese_way():
    with translation.override("ja"):
        assert jdate(dt.date(2026, 11, 26)) == "2026年11月26日"


def test_an_aware_datetime_is_dated_in_tokyo():
    late_utc = dt.datetime(2026, 11, 25, 16, 30, tzinfo=dt.UTC)  # 01:30 on the 26th in Tokyo
    with translation.override("ja"):
        assert jdate(late_utc) == "2026年11月26日"


def test_english_screens_use_the_english_date_format():
    with translation.override("en"):
        assert jdate(dt.date(2026, 11, 26)) != "2026年11月26日"
        assert "2026" in jdate(dt.date(2026, 11, 26))


def test_fiscal_years_show_the_japanese_era_beside_the_western_year():
    assert fiscal_year(2021) == "2021年度（令和3年度）"
    assert fiscal_year(2019) == "2019年度（令和元年度）"
    assert wareki(dt.date(2021, 4, 1)) == "令和3年4月1日"


def test_age_counts_whole_days_until_today():
    assert age_days(timezone.localdate() - dt.timedelta(days=5)) == 5


def test_yen_groups_thousands():
    with translation.override("ja"):
        assert yen(1234567) == "1,234,567円"
    assert yen(None) == ""
