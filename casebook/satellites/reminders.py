"""The day-before reminder of a satellite consultation day, and consultation days as the
subject of notifications.

Registered in SatellitesConfig.ready() with the extension registry (docs/notifications.md).
The counselor on the rota of a day that holds bookings is reminded the day before (a
calendar day: satellite days are business days, the eve may be a weekend).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.common.extensions import NoticeSubject, Reminder, ReminderKind
from casebook.satellites import policy
from casebook.satellites.models import ACTIVE_BOOKING_STATUSES, ConsultationDay, DayStatus

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.common.extensions import Registry

DAY_TOMORROW = ReminderKind(
    "satellite_day_tomorrow", gettext_lazy("satellite consultation day tomorrow"), order=70
)


def day_titles(user: User, ids: Sequence[int]) -> Mapping[int, str]:
    """Consultation days by office and date, for staff (who read every satellite schedule)."""
    if not policy.can_see_schedules(user):
        return {}
    rows = ConsultationDay.objects.filter(pk__in=list(ids)).values_list(
        "pk", "office__name", "date"
    )
    return {pk: f"{office} {formats.date_format(date)}" for pk, office, date in rows}


def day_url(pk: int) -> str:
    day = ConsultationDay.objects.select_related("office").get(pk=pk)
    return reverse("satellites:day", args=[day.office.code]) + f"?date={day.date:%Y-%m-%d}"


def day_before_reminders(first_day: dt.date, today: dt.date) -> Iterable[Reminder]:
    """Days from tomorrow whose eve falls in the window (a missed run catches up, but never
    for a day already past)."""
    days = (
        ConsultationDay.objects.filter(
            status=DayStatus.HELD,
            counselor__isnull=False,
            date__range=(first_day + dt.timedelta(days=1), today + dt.timedelta(days=1)),
            date__gt=today,
        )
        .annotate(
            booked=Count(
                "slots__bookings", filter=Q(slots__bookings__status__in=ACTIVE_BOOKING_STATUSES)
            )
        )
        .filter(booked__gt=0)
        .order_by("date", "pk")
    )
    for day in days:
        yield DAY_TOMORROW.occasion(
            f"day={day.pk}:{day.date}",
            subject=day,
            recipient_ids={day.counselor_id},
            due_on=day.date - dt.timedelta(days=1),
            params={"date": day.date.isoformat(), "bookings": day.booked},
        )


def day_before_text(subject: str, params: Mapping[str, Any]) -> str:
    return _("%(subject)s: tomorrow's consultation day holds %(bookings)s bookings") % {
        "subject": subject,
        "bookings": params["bookings"],
    }


def register(registry: Registry) -> None:
    registry.add_notice_subject(NoticeSubject("satellites.consultationday", day_titles, day_url))
    registry.add_reminder_source(DAY_TOMORROW.source(day_before_reminders, day_before_text))
