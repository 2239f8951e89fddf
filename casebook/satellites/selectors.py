"""Reads of offices, consultation days, slots and bookings (docs/satellites.md).

Staff reads are filtered by `satellites.policy`; the public reads answer only what the
booking form shows (offices, days, free slots) and never who booked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from casebook.accounts.models import DeskRole, User
from casebook.intake import policy as case_policy
from casebook.satellites import policy
from casebook.satellites.events import SATELLITE_DESK
from casebook.satellites.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    BookingStatus,
    DayException,
    DayStatus,
    Office,
    OfficeKind,
    ScheduleRule,
    Slot,
)


def office_get(*, pk: Any) -> Office:
    """Any office (offices are reference data every login reads)."""
    return Office.objects.get(pk=pk)


def _active_booking(slot_ref: str = "pk") -> Exists:
    return Exists(
        Booking.objects.filter(slot=OuterRef(slot_ref), status__in=ACTIVE_BOOKING_STATUSES)
    )


def slots_with_free(queryset: QuerySet[Slot] | None = None) -> QuerySet[Slot]:
    """Slots annotated with `free` (no active booking), on days that are held."""
    queryset = queryset if queryset is not None else Slot.objects.all()
    return queryset.filter(day__status=DayStatus.HELD).annotate(taken=_active_booking())


def satellite_offices_open(*, first_day: dt.date, last_day: dt.date) -> QuerySet[Office]:
    """The satellite offices open on some day from `first_day` to `last_day`, by code: the
    utilisation table's rows and plan vs actual's count of satellites."""
    return (
        Office.objects.filter(kind=OfficeKind.SATELLITE)
        .filter(Q(active_from__isnull=True) | Q(active_from__lte=last_day))
        .filter(Q(active_until__isnull=True) | Q(active_until__gte=first_day))
        .order_by("code")
    )


# --- the public booking form ----------------------------------------------------------------


def public_offices() -> QuerySet[Office]:
    """The satellite offices that hold consultation days (today or later)."""
    today = timezone.localdate()
    return (
        Office.objects.filter(kind=OfficeKind.SATELLITE)
        .filter(Q(active_until__isnull=True) | Q(active_until__gte=today))
        .order_by("code")
    )


def public_office_get(*, code: str) -> Office:
    try:
        return public_offices().get(code=code)
    except Office.DoesNotExist:
        raise Http404("no such office") from None


def _public_window() -> tuple[dt.datetime, dt.datetime]:
    now = timezone.now()
    return now, now + dt.timedelta(days=settings.CASEBOOK_BOOKING_DAYS_AHEAD)


def public_free_slots(*, office: Office, day: dt.date | None = None) -> QuerySet[Slot]:
    """The free slots of `office` the form offers: from now to the booking horizon."""
    start, end = _public_window()
    slots = slots_with_free(
        Slot.objects.filter(office=office, starts_at__gt=start, starts_at__lt=end)
    ).filter(taken=False)
    if day is not None:
        slots = slots.filter(day__date=day)
    return slots.order_by("starts_at")


def public_free_days(*, office: Office) -> list[tuple[dt.date, int]]:
    """(date, free slots) of the days of `office` with a free slot, soonest first."""
    rows = (
        public_free_slots(office=office)
        .order_by()
        .values("day__date")
        .annotate(free=Count("pk"))
        .order_by("day__date")
    )
    return [(row["day__date"], row["free"]) for row in rows]


def public_slot_get(*, office: Office, pk: Any) -> Slot:
    """A slot of `office` the form may book (the service checks it is still free)."""
    try:
        return Slot.objects.select_related("day", "office").get(office=office, pk=pk)
    except (Slot.DoesNotExist, ValueError, TypeError):
        raise Http404("no such slot") from None


# --- staff ----------------------------------------------------------------------------------


def _require_staff(user: User) -> None:
    if not policy.can_see_schedules(user):
        raise Http404("satellite schedules are for staff")


def satellite_offices(*, user: User) -> QuerySet[Office]:
    _require_staff(user)
    return Office.objects.filter(kind=OfficeKind.SATELLITE).order_by("code")


def satellite_office_get(*, user: User, code: str) -> Office:
    try:
        return satellite_offices(user=user).get(code=code)
    except Office.DoesNotExist:
        raise Http404("no such office") from None


def slot_list_for_user(*, user: User) -> QuerySet[Slot]:
    if not policy.can_see_schedules(user):
        return Slot.objects.none()
    return slots_with_free().select_related("office", "counselor")


def booking_list_for_user(*, user: User) -> QuerySet[Booking]:
    if not policy.can_see_schedules(user):
        return Booking.objects.none()
    return Booking.objects.select_related("slot__office", "slot__counselor", "client", "case")


def booking_get_for_user(*, user: User, pk: Any) -> Booking:
    try:
        return booking_list_for_user(user=user).get(pk=pk)
    except (Booking.DoesNotExist, ValueError, TypeError):
        raise Http404("no such booking") from None


def day_schedule(*, user: User, office: Office, day: dt.date) -> list[tuple[Slot, Booking | None]]:
    """The slots of `office` on `day`, each with its active booking (or None)."""
    _require_staff(user)
    slots = list(
        Slot.objects.filter(office=office, day__date=day, day__status=DayStatus.HELD)
        .select_related("counselor")
        .order_by("starts_at")
    )
    bookings = {
        b.slot_id: b
        for b in Booking.objects.filter(
            slot__in=[s.pk for s in slots], status__in=ACTIVE_BOOKING_STATUSES
        ).select_related("client", "case")
    }
    _mark_visible_cases(user, bookings.values())
    for slot in slots:
        if slot.pk in bookings:
            bookings[slot.pk].slot = slot  # read once: the policy reads the booking's slot
    return [(slot, bookings.get(slot.pk)) for slot in slots]


def _mark_visible_cases(user: User, bookings: Iterable[Booking]) -> None:
    """Set `visible_case` on each booking: its case when `user` may see it, else None (the day
    screen never names a case, say a restricted one, to someone who may not see it)."""
    bookings = list(bookings)
    case_ids = {b.case_id for b in bookings if b.case_id}
    visible = (
        set(case_policy.cases_visible_to(user).filter(pk__in=case_ids).values_list("pk", flat=True))
        if case_ids
        else set()
    )
    for booking in bookings:
        booking.visible_case = booking.case if booking.case_id in visible else None


def week_schedule(
    *, user: User, start: dt.date, office: Office | None = None, counselor: User | None = None
) -> list[tuple[Slot, Booking | None]]:
    """The seven days from `start` of one office or one counselor: slots and their bookings.

    Bounded by the week (at most 7 days of an office's or a counselor's slots)."""
    _require_staff(user)
    slots = Slot.objects.filter(
        day__date__range=(start, start + dt.timedelta(days=6)), day__status=DayStatus.HELD
    )
    if office is not None:
        slots = slots.filter(office=office)
    if counselor is not None:
        slots = slots.filter(counselor=counselor)
    slots = list(slots.select_related("office", "counselor").order_by("starts_at", "office"))
    bookings = {
        b.slot_id: b
        for b in Booking.objects.filter(
            slot__in=[s.pk for s in slots], status__in=ACTIVE_BOOKING_STATUSES
        ).select_related("client")
    }
    return [(slot, bookings.get(slot.pk)) for slot in slots]


def schedule_counselors(*, user: User) -> QuerySet[User]:
    """The counselors who staff satellite days (the week screen's choice)."""
    _require_staff(user)
    return User.objects.filter(
        pk__in=Slot.objects.filter(counselor__isnull=False).values("counselor")
    ).order_by("username")


@dataclass(frozen=True)
class Utilisation:
    office: Office
    days_held: int
    slots_offered: int
    booked: int
    held: int
    no_show: int

    @property
    def rate(self) -> float | None:
        """Booked slots per slot offered."""
        return self.booked / self.slots_offered if self.slots_offered else None


def slot_counts_by_office(*, first_day: dt.date, last_day: dt.date) -> dict[int, dict[str, int]]:
    """The utilisation counts per office id over the days held from `first_day` to `last_day`
    (one query): `days` held, slots `offered`, `booked` (bookings not cancelled), `held`
    (checked in), `no_show`. Counts only, no one's data: the month screen below and the
    fiscal-year report section (satellites/reports.py) read them after their own checks."""
    slots = (
        Slot.objects.filter(
            day__date__gte=first_day, day__date__lte=last_day, day__status=DayStatus.HELD
        )
        .order_by()
        .values("office")
        .annotate(
            days=Count("day", distinct=True),
            offered=Count("pk", distinct=True),
            booked=Count("bookings", filter=Q(bookings__status__in=ACTIVE_BOOKING_STATUSES)),
            held=Count("bookings", filter=Q(bookings__status=BookingStatus.CHECKED_IN)),
            no_show=Count("bookings", filter=Q(bookings__status=BookingStatus.NO_SHOW)),
        )
    )
    return {row["office"]: row for row in slots}


def utilisation(*, user: User, year: int, month: int) -> list[Utilisation]:
    """Per satellite office and month (docs/satellites.md, "Utilisation"): days held, slots
    offered, booked (bookings not cancelled), held (checked in) and no-shows."""
    _require_staff(user)
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    by_office = slot_counts_by_office(first_day=first, last_day=last)
    result = []
    for office in Office.objects.filter(kind=OfficeKind.SATELLITE).order_by("code"):
        row = by_office.get(office.pk, {})
        result.append(
            Utilisation(
                office=office,
                days_held=row.get("days", 0),
                slots_offered=row.get("offered", 0),
                booked=row.get("booked", 0),
                held=row.get("held", 0),
                no_show=row.get("no_show", 0),
            )
        )
    return result


def slot_get_for_user(*, user: User, pk: Any) -> Slot:
    try:
        return slot_list_for_user(user=user).get(pk=pk)
    except (Slot.DoesNotExist, ValueError, TypeError):
        raise Http404("no such slot") from None


def bookings_of_day(*, user: User, day: dt.date, limit: int) -> list[Booking]:
    """The active bookings of `day` at every satellite, by time (at most `limit`; one query)."""
    if not policy.can_see_schedules(user):
        return []
    return list(
        Booking.objects.filter(slot__day__date=day, status__in=ACTIVE_BOOKING_STATUSES)
        .select_related("slot__office")
        .order_by("slot__starts_at", "pk")[:limit]
    )


# --- the live day screen (satellites/consumers.py) ------------------------------------------


def live_booking_for_user(*, user: User, office_id: int, booking_id: int) -> dict | None:
    """What the day screen's socket may tell `user` about a booking of its office: ids, the
    state and the day (never who booked). 404 once `user` may no longer see the schedules
    (the day screen's own check, so the page and its socket never disagree); None when the
    booking is not of this office."""
    _require_staff(user)
    row = (
        Booking.objects.filter(pk=booking_id, slot__office_id=office_id)
        .values_list("pk", "slot_id", "status", "slot__day__date")
        .first()
    )
    if row is None:
        return None
    pk, slot_id, status, date = row
    return {"id": pk, "slot": slot_id, "status": status, "date": date.isoformat()}


# --- the schedule screen --------------------------------------------------------------------


def schedule_rules_of(*, user: User, office: Office) -> list[ScheduleRule]:
    """The office's rules, the rota (a handful per office: not paged)."""
    _require_staff(user)
    return list(
        ScheduleRule.objects.filter(office=office)
        .select_related("counselor")
        .order_by("valid_from", "pk")
    )


def day_exceptions_of(*, user: User, office: Office, since: dt.date) -> QuerySet[DayException]:
    """The office's extra and cancelled days from `since` on, soonest first (the screen pages)."""
    _require_staff(user)
    return (
        DayException.objects.filter(office=office, date__gte=since)
        .select_related("counselor")
        .order_by("date")
    )


def schedule_rule_get_for_user(*, user: User, office: Office, pk: Any) -> ScheduleRule:
    _require_staff(user)
    try:
        return ScheduleRule.objects.select_related("counselor").get(office=office, pk=pk)
    except (ScheduleRule.DoesNotExist, ValueError, TypeError):
        raise Http404("no such rule") from None


def day_exception_get_for_user(*, user: User, office: Office, pk: Any) -> DayException:
    _require_staff(user)
    try:
        return DayException.objects.get(office=office, pk=pk)
    except (DayException.DoesNotExist, ValueError, TypeError):
        raise Http404("no such day") from None


def rota_counselors() -> QuerySet[User]:
    """Who may be on a satellite's rota: the active counselors and coordinators of the desk
    that staffs the satellites."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__desk__code=SATELLITE_DESK,
            memberships__active=True,
            memberships__role__in=[DeskRole.COUNSELOR, DeskRole.COORDINATOR],
        )
        .distinct()
        .order_by("username")
    )
