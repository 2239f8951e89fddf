"""Generating consultation days and their slots from the offices' rules (docs/satellites.md).

Generation is idempotent: a day that exists is left as it is (its bookings stay), a missing
one is created with its slots, and a day a later "cancelled day" exception removes is marked
cancelled when nothing is booked on it (else it is reported, never silently dropped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from casebook.accounts.models import User
from casebook.common.calendar import is_closed_day, is_public_holiday
from casebook.common.models import lock_row, save_tracked
from casebook.satellites import policy
from casebook.satellites.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    ConsultationDay,
    DayException,
    DayStatus,
    ExceptionKind,
    Office,
    OfficeKind,
    ScheduleRule,
    Slot,
)


@dataclass(frozen=True)
class PlannedDay:
    date: dt.date
    starts_at: dt.time
    ends_at: dt.time
    counselor_id: int | None
    rule_id: int | None


@dataclass
class GenerationResult:
    offices: int = 0
    days_created: int = 0
    slots_created: int = 0
    days_kept: int = 0
    days_cancelled: int = 0
    skipped_holidays: int = 0
    skipped_closed: int = 0
    # Days an exception cancels but that hold bookings: staff move or cancel those first.
    conflicts: list[tuple[str, dt.date]] = field(default_factory=list)


def dates_between(date_from: dt.date, date_to: dt.date) -> Iterable[dt.date]:
    day = date_from
    while day <= date_to:
        yield day
        day += dt.timedelta(days=1)


def plan_days(
    *,
    office: Office,
    rules: list[ScheduleRule],
    exceptions: dict[dt.date, DayException],
    date_from: dt.date,
    date_to: dt.date,
    result: GenerationResult | None = None,
) -> dict[dt.date, PlannedDay]:
    """The days `office` holds between the two dates (inclusive): the rules' days except
    public holidays, the organisation's closed days and cancelled days, plus extra days."""
    planned: dict[dt.date, PlannedDay] = {}
    for day in dates_between(date_from, date_to):
        if not office.is_active_on(day):
            continue
        exception = exceptions.get(day)
        if exception is not None and exception.kind == ExceptionKind.EXTRA:
            planned[day] = PlannedDay(
                day, exception.starts_at, exception.ends_at, exception.counselor_id, None
            )
            continue
        rule = next((r for r in rules if r.matches(day)), None)
        if rule is None or exception is not None:
            continue
        if is_public_holiday(day):
            if result is not None:
                result.skipped_holidays += 1
            continue
        if is_closed_day(day):
            if result is not None:
                result.skipped_closed += 1
            continue
        planned[day] = PlannedDay(day, rule.starts_at, rule.ends_at, rule.counselor_id, rule.pk)
    return planned


def cut_slots(day: ConsultationDay, minutes: int) -> list[Slot]:
    """The day's slots of `minutes` each; a remainder shorter than a slot is not offered."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(day.date, day.starts_at, tzinfo=zone)
    end = dt.datetime.combine(day.date, day.ends_at, tzinfo=zone)
    step = dt.timedelta(minutes=minutes)
    slots = []
    while start + step <= end:
        slots.append(
            Slot(
                day=day,
                office_id=day.office_id,
                starts_at=start,
                ends_at=start + step,
                counselor_id=day.counselor_id,
            )
        )
        start += step
    return slots


@transaction.atomic
def _generate_for_office(
    *, office: Office, date_from: dt.date, date_to: dt.date, by: User, result: GenerationResult
) -> None:
    # The office row is the generation lock: two runs for one office never both create a day.
    office = lock_row(Office, office.pk)
    rules = list(office.schedule_rules.all())
    exceptions = {e.date: e for e in office.day_exceptions.filter(date__range=(date_from, date_to))}
    planned = plan_days(
        office=office,
        rules=rules,
        exceptions=exceptions,
        date_from=date_from,
        date_to=date_to,
        result=result,
    )
    existing = {
        d.date: d
        for d in ConsultationDay.objects.filter(office=office, date__range=(date_from, date_to))
    }
    booked_days = set(
        Booking.objects.filter(
            slot__office=office,
            slot__day__date__range=(date_from, date_to),
            status__in=ACTIVE_BOOKING_STATUSES,
        ).values_list("slot__day__date", flat=True)
    )
    for date, day in existing.items():
        exception = exceptions.get(date)
        if exception is None or exception.kind != ExceptionKind.CANCELLED:
            continue
        if day.status == DayStatus.CANCELLED:
            continue
        if date in booked_days:
            result.conflicts.append((office.code, date))
            continue
        day.status = DayStatus.CANCELLED
        save_tracked(day, by=by, update_fields=["status"], reason=exception.reason or "cancelled")
        Slot.objects.filter(day=day).delete()
        result.days_cancelled += 1
    new_slots: list[Slot] = []
    for date, plan in planned.items():
        if date in existing:
            result.days_kept += 1
            continue
        day = ConsultationDay(
            office=office,
            date=date,
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
            counselor_id=plan.counselor_id,
            rule_id=plan.rule_id,
        )
        save_tracked(day, by=by, reason="generated")
        new_slots.extend(cut_slots(day, office.slot_minutes))
        result.days_created += 1
    Slot.objects.bulk_create(new_slots)
    result.slots_created += len(new_slots)


def schedule_generate(
    *,
    by: User,
    date_from: dt.date,
    date_to: dt.date,
    offices: Iterable[Office] | None = None,
    progress: Callable[[Office, GenerationResult], None] | None = None,
) -> GenerationResult:
    """Create the consultation days and slots of the satellite offices between the two dates
    (inclusive). Running it again creates nothing new; each office commits on its own, so a
    long range shows progress and a failure keeps the offices already done."""
    policy.require(by, policy.MANAGE_SCHEDULE)
    if date_to < date_from:
        raise ValueError("date_to is before date_from")
    if offices is None:
        offices = Office.objects.filter(kind=OfficeKind.SATELLITE).order_by("code")
    result = GenerationResult()
    for office in offices:
        _generate_for_office(
            office=office, date_from=date_from, date_to=date_to, by=by, result=result
        )
        result.offices += 1
        if progress is not None:
            progress(office, result)
    return result
