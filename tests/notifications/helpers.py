"""Dates and helpers the notification tests share.

The calendar of 2026 used here: Golden Week closes 29 April and 2–6 May (6 May is the
substitute holiday); the year-end closure (29 Dec–3 Jan) plus weekends closes 27 Dec 2025 to
4 Jan 2026.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casebook.notifications.models import Notification
from casebook.notifications.services import reminders_run

WEDNESDAY = dt.date(2026, 6, 10)


def at(day: dt.date, hour: int = 8, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def day_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=1)


def sent_on(day: dt.date, kind: str) -> list[Notification]:
    """Run the reminder job for `day` and answer the notifications of `kind` it stored."""
    before = set(Notification.objects.filter(kind=kind).values_list("pk", flat=True))
    reminders_run(today=day)
    return list(Notification.objects.filter(kind=kind).exclude(pk__in=before).order_by("pk"))


def recipients(notifications: list[Notification]) -> set[int]:
    return {n.recipient_id for n in notifications}
