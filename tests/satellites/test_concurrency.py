from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.utils import timezone

from casebook.common.errors import StaleVersion
from casebook.satellites import services
from casebook.satellites.models import Booking, DayException
from casebook.satellites.services import SlotTaken
from casebook.satellites.services import schedule as schedule_module
from tests.concurrency import run_together, while_held
from tests.factories import (
    ClientFactory,
    OfficeFactory,
    ScheduleRuleFactory,
    SessionFactory,
    SlotFactory,
)
from tests.markers import needs_postgres


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_bookings_of_one_slot_at_once_book_it_once(cast):
    slot = SlotFactory()
    clients = [ClientFactory() for _ in range(20)]

    results, errors = run_together(
        [
            lambda client=client: services.booking_create(
                by=cast.counselor, slot=slot.pk, client=client
            )
            for client in clients
        ]
    )

    assert len(results) == 1
    assert len(errors) == 19 and all(isinstance(e, SlotTaken) for e in errors), errors
    assert all("別の枠を選んでください" in e.message for e in errors)
    assert Booking.objects.filter(slot=slot).count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_database_refuses_a_second_active_booking_without_the_lock(cast):
    """The partial unique index holds even for a writer that skips the service's lock."""
    slot = SlotFactory()
    services.booking_create(by=cast.counselor, slot=slot, client=ClientFactory())

    with pytest.raises(Exception, match="booking_one_active_per_slot"):
        Booking.objects.create(slot=slot, channel="staff", company_name="割り込み")


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_edits_of_one_rule_from_the_same_version_save_one(cast):
    rule = ScheduleRuleFactory()

    results, errors = run_together(
        [
            lambda day=day: services.schedule_rule_save(
                by=cast.coordinator,
                office=rule.office,
                rule=rule,
                expected_version=1,
                weekdays=str(day % 7),
                weeks="",
                starts_at=rule.starts_at,
                ends_at=rule.ends_at,
                valid_from=rule.valid_from,
            )
            for day in range(10)
        ]
    )

    assert len(results) == 1
    assert len(errors) == 9 and all(isinstance(e, StaleVersion) for e in errors), errors
    rule.refresh_from_db()
    assert (rule.version, rule.weekdays) == (2, results[0].weekdays)


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_exceptions_for_one_date_at_once_save_one(cast):
    office = OfficeFactory()

    results, errors = run_together(
        [
            lambda: services.day_exception_save(
                by=cast.coordinator, office=office, date=dt.date(2027, 5, 6), kind="cancelled"
            )
            for _ in range(10)
        ]
    )

    assert len(results) == 1
    assert len(errors) == 9 and all(isinstance(e, ValidationError) for e in errors), errors
    assert DayException.objects.filter(office=office).count() == 1


def generation_held_while(monkeypatch, office, by, then):
    """The schedule generation of `office` held under the office's lock (the generation lock)
    while `then` runs in another transaction (docs/performance.md, "Row locks: FOR NO KEY
    UPDATE")."""
    today = timezone.localdate()
    return while_held(
        monkeypatch,
        schedule_module,
        "plan_days",
        hold=lambda: services.schedule_generate(
            by=by, date_from=today, date_to=today + dt.timedelta(days=7), offices=[office]
        ),
        then=then,
    )


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_session_held_at_an_office_is_saved_while_its_schedule_is_generated(cast, monkeypatch):
    """The session's key to the office is checked with FOR KEY SHARE, which the generation
    lock (FOR NO KEY UPDATE) leaves free; FOR UPDATE held it until the generation ended, past
    a one-second lock_timeout."""
    office = OfficeFactory()
    ScheduleRuleFactory(office=office)

    hold_errors, then_errors = generation_held_while(
        monkeypatch, office, cast.coordinator, lambda: SessionFactory(office=office)
    )

    assert hold_errors == [] and then_errors == []
    assert office.sessions.count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_day_exception_of_the_office_still_waits_for_its_schedule_generation(cast, monkeypatch):
    """The office's schedule rules and days change one writer at a time."""
    office = OfficeFactory()
    ScheduleRuleFactory(office=office)

    hold_errors, then_errors = generation_held_while(
        monkeypatch,
        office,
        cast.coordinator,
        lambda: services.day_exception_save(
            by=cast.coordinator,
            office=office,
            date=timezone.localdate() + dt.timedelta(days=3),
            kind="cancelled",
        ),
    )

    assert hold_errors == []
    assert [type(e) for e in then_errors] == [OperationalError]
    assert "lock timeout" in str(then_errors[0])
    assert not DayException.objects.filter(office=office).exists()
