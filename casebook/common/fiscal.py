"""Fiscal years (1 April – 31 March) and the Japanese era calendar (和暦)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class Era:
    name: str
    starts_on: dt.date


# Newest first; each era starts on its accession day.
ERAS: tuple[Era, ...] = (
    Era("令和", dt.date(2019, 5, 1)),
    Era("平成", dt.date(1989, 1, 8)),
    Era("昭和", dt.date(1926, 12, 25)),
)


def fiscal_year_of(day: dt.date | dt.datetime) -> int:
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    return day.year if day.month >= 4 else day.year - 1


def current_fiscal_year() -> int:
    return fiscal_year_of(timezone.localdate())


def fiscal_year_bounds(fiscal_year: int) -> tuple[dt.date, dt.date]:
    """First and last day of a fiscal year, both inclusive."""
    return dt.date(fiscal_year, 4, 1), dt.date(fiscal_year + 1, 3, 31)


def era_of(day: dt.date) -> Era:
    for era in ERAS:
        if day >= era.starts_on:
            return era
    raise ValueError(f"{day} is before the eras casebook knows")


def _era_year_label(era: Era, western_year: int) -> str:
    number = western_year - era.starts_on.year + 1
    return f"{era.name}{'元' if number == 1 else number}"


def wareki_date(day: dt.date) -> str:
    """`令和3年4月1日` for 2021-04-01."""
    era = era_of(day)
    return f"{_era_year_label(era, day.year)}年{day.month}月{day.day}日"


def wareki_fiscal_year(fiscal_year: int) -> str:
    """`令和3年度` for FY2021.

    A fiscal year takes the era in force when it ends, so FY2019 (April 2019 – March 2020,
    the era changed on 1 May 2019) is 令和元年度, as the government names it.
    """
    _, last_day = fiscal_year_bounds(fiscal_year)
    return f"{_era_year_label(era_of(last_day), fiscal_year)}年度"


def fiscal_year_label(fiscal_year: int) -> str:
    """`2021年度（令和3年度）`: 西暦 with 和暦 beside it, as reports show it."""
    return f"{fiscal_year}年度（{wareki_fiscal_year(fiscal_year)}）"
