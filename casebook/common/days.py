"""Calendar days as instants: a day begins at midnight in the project's time zone (Asia/Tokyo)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the project's time zone, aware."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def on_days(field: str, first: dt.date | None = None, last: dt.date | None = None) -> Q:
    """The datetime `field` on one of the days `first` to `last`, both included; a bound left
    empty is open. Written as `>= start of first` and `< start of the day after last`, so that
    an index on `field` serves it and the last day counts to its final instant."""
    condition = Q()
    if first:
        condition &= Q(**{f"{field}__gte": start_of_day(first)})
    if last:
        condition &= Q(**{f"{field}__lt": start_of_day(last + dt.timedelta(days=1))})
    return condition
