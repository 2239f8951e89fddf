"""Business days of the organisation: weekdays that are neither a Japanese public holiday
nor one of its own closed days (年末年始, `settings.CASEBOOK_CLOSED_DAYS`).

Closed days are `MM-DD` (every year, e.g. `12-29`) or `YYYY-MM-DD` (one date only). The
setting is read on every call, so a changed setting (or a test override) applies at once.

Counting convention, used by every deadline in casebook:

- `add_business_days(day, n)` is the n-th business day after `day` (`day` itself is not
  counted, whether or not it is a business day); `n = 0` gives `day` when it is a business
  day, else the next one. A negative `n` counts backwards.
- `business_days_between(start, end)` counts the business days after `start` up to and
  including `end`, so `business_days_between(d, add_business_days(d, n)) == n` for n > 0;
  it is negative when `end` is before `start`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
from django.conf import settings

_SATURDAY = 5


@lru_cache(maxsize=64)
def _japanese_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("JP", years=year).keys())


def japanese_holiday_name(day: dt.date) -> str | None:
    """The name of the public holiday on `day` (e.g. `こどもの日`), or None."""
    return holidays.country_holidays("JP", years=day.year).get(day)


def _closed_rules() -> tuple[set[tuple[int, int]], set[dt.date]]:
    yearly: set[tuple[int, int]] = set()
    once: set[dt.date] = set()
    for raw in settings.CASEBOOK_CLOSED_DAYS:
        text = str(raw).strip()
        if not text:
            continue
        parts = text.split("-")
        if len(parts) == 2:
            yearly.add((int(parts[0]), int(parts[1])))
        elif len(parts) == 3:
            once.add(dt.date(int(parts[0]), int(parts[1]), int(parts[2])))
        else:
            raise ValueError(f"CASEBOOK_CLOSED_DAYS: '{text}' is neither MM-DD nor YYYY-MM-DD")
    return yearly, once


def is_closed_day(day: dt.date) -> bool:
    """One of the organisation's own closed days (not counting weekends and holidays)."""
    yearly, once = _closed_rules()
    return (day.month, day.day) in yearly or day in once


def is_public_holiday(day: dt.date) -> bool:
    return day in _japanese_holidays(day.year)


def is_business_day(day: dt.date) -> bool:
    if isinstance(day, dt.datetime):
        day = day.date()
    if day.weekday() >= _SATURDAY:
        return False
    return not (is_public_holiday(day) or is_closed_day(day))


def add_business_days(day: dt.date, n: int) -> dt.date:
    """The n-th business day after `day` (before it when n < 0); see the module docstring."""
    if isinstance(day, dt.datetime):
        day = day.date()
    if n == 0:
        while not is_business_day(day):
            day += dt.timedelta(days=1)
        return day
    step = dt.timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if is_business_day(day):
            remaining -= 1
    return day


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Business days after `start` up to and including `end` (negative when end < start)."""
    if isinstance(start, dt.datetime):
        start = start.date()
    if isinstance(end, dt.datetime):
        end = end.date()
    if end == start:
        return 0
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    count = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        if is_business_day(day):
            count += 1
        day += dt.timedelta(days=1)
    return sign * count


def business_day_on_or_after(day: dt.date) -> dt.date:
    """`day` when it is a business day, else the next one (a date reached on a holiday is
    acted on when the office opens)."""
    return add_business_days(day, 0)


def business_day_on_or_before(day: dt.date) -> dt.date:
    """`day` when it is a business day, else the last one before it (a warning due on a
    holiday is given on the last working day before, never late)."""
    while not is_business_day(day):
        day -= dt.timedelta(days=1)
    return day
