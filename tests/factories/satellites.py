"""Factories of satellite schedules, consultation days, slots and bookings."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from casebook.satellites.models import (
    Booking,
    ConsultationDay,
    DayException,
    ScheduleRule,
    Slot,
)
from tests.factories.core import OfficeFactory

__all__ = [
    "BookingFactory",
    "ConsultationDayFactory",
    "DayExceptionFactory",
    "ScheduleRuleFactory",
    "SlotFactory",
    "slot_at",
]


class ScheduleRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduleRule

    office = factory.SubFactory(OfficeFactory)
    weekdays = "1"
    weeks = "2,4"
    starts_at = dt.time(10, 0)
    ends_at = dt.time(16, 0)
    valid_from = dt.date(2021, 4, 1)


class DayExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DayException

    office = factory.SubFactory(OfficeFactory)
    kind = "cancelled"


class ConsultationDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsultationDay

    office = factory.SubFactory(OfficeFactory)
    date = factory.LazyFunction(timezone.localdate)
    starts_at = dt.time(10, 0)
    ends_at = dt.time(16, 0)


class SlotFactory(factory.django.DjangoModelFactory):
    """A slot of its own day; `starts_at` defaults to tomorrow 10:00 (local time)."""

    class Meta:
        model = Slot

    starts_at = factory.LazyFunction(
        lambda: (
            timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
            + dt.timedelta(days=1)
        )
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=60))
    day = factory.LazyAttribute(
        lambda o: ConsultationDay.objects.get_or_create(
            office=o.office,
            date=timezone.localtime(o.starts_at).date(),
            defaults={
                "starts_at": dt.time(0, 0),
                "ends_at": dt.time(23, 59),
                "counselor": o.counselor,
            },
        )[0]
    )
    office = factory.SubFactory(OfficeFactory)
    counselor = None


def slot_at(office, when: dt.datetime, *, counselor=None, minutes: int = 60) -> Slot:
    return SlotFactory(
        office=office,
        starts_at=when,
        ends_at=when + dt.timedelta(minutes=minutes),
        counselor=counselor,
    )


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    slot = factory.SubFactory(SlotFactory)
    channel = "staff"
    company_name = factory.Sequence(lambda n: f"株式会社予約{n}")
    status = "booked"
