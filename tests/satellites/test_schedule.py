from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from casebook.common.errors import ActionNotPermitted
from casebook.satellites.models import ConsultationDay, DayStatus, Slot
from casebook.satellites.services import schedule_generate
from tests.factories import (
    BookingFactory,
    DayExceptionFactory,
    OfficeFactory,
    ScheduleRuleFactory,
)

WEEKDAYS = "0,1,2,3,4"


def held_days(office) -> list[dt.date]:
    return list(
        ConsultationDay.objects.filter(office=office, status=DayStatus.HELD)
        .order_by("date")
        .values_list("date", flat=True)
    )


def test_second_and_fourth_tuesdays_skip_a_public_holiday(cast):
    office = OfficeFactory(code="hitachi")
    ScheduleRuleFactory(office=office, weekdays="1", weeks="2,4", counselor=cast.counselor)

    # September 2026: the 8th is the 2nd Tuesday, the 22nd (国民の休日) the 4th.
    result = schedule_generate(
        by=cast.coordinator, date_from=dt.date(2026, 9, 1), date_to=dt.date(2026, 9, 30)
    )

    assert held_days(office) == [dt.date(2026, 9, 8)]
    assert result.skipped_holidays == 1
    assert result.days_created == 1 and result.slots_created == 6
    day = ConsultationDay.objects.get(office=office)
    assert day.counselor == cast.counselor
    assert [s.counselor for s in day.slots.all()] == [cast.counselor] * 6


def test_golden_week_holidays_are_skipped(cast):
    office = OfficeFactory(code="tsukuba")
    ScheduleRuleFactory(office=office, weekdays=WEEKDAYS, weeks="")

    result = schedule_generate(
        by=cast.coordinator, date_from=dt.date(2027, 4, 26), date_to=dt.date(2027, 5, 7)
    )

    assert held_days(office) == [
        dt.date(2027, 4, 26),
        dt.date(2027, 4, 27),
        dt.date(2027, 4, 28),
        dt.date(2027, 4, 30),
        dt.date(2027, 5, 6),
        dt.date(2027, 5, 7),
    ]
    assert result.skipped_holidays == 4  # 昭和の日, 憲法記念日, みどりの日, こどもの日


def test_the_year_end_closure_is_skipped(cast):
    office = OfficeFactory(code="koga")
    ScheduleRuleFactory(office=office, weekdays=WEEKDAYS, weeks="")

    result = schedule_generate(
        by=cast.coordinator, date_from=dt.date(2026, 12, 28), date_to=dt.date(2027, 1, 8)
    )

    assert held_days(office) == [dt.date(2026, 12, 28)] + [dt.date(2027, 1, d) for d in range(4, 9)]
    assert result.skipped_closed == 3  # 29–31 December; 1 January is a public holiday
    assert result.skipped_holidays == 1


def test_generating_twice_creates_nothing_the_second_time(cast):
    office = OfficeFactory(code="joso")
    ScheduleRuleFactory(office=office, weekdays="1", weeks="1,3")
    span = {"date_from": dt.date(2027, 1, 1), "date_to": dt.date(2027, 3, 31)}

    first = schedule_generate(by=cast.coordinator, **span)
    second = schedule_generate(by=cast.coordinator, **span)

    assert first.days_created == 6 and first.slots_created == 36
    assert second.days_created == 0 and second.slots_created == 0
    assert second.days_kept == 6
    assert Slot.objects.filter(office=office).count() == 36


def test_slots_follow_the_office_slot_length(cast):
    office = OfficeFactory(code="daigo", slot_minutes=90)
    ScheduleRuleFactory(office=office, weekdays="4", weeks="4")

    schedule_generate(
        by=cast.coordinator, date_from=dt.date(2027, 2, 1), date_to=dt.date(2027, 2, 28)
    )

    starts = [
        timezone.localtime(s.starts_at).strftime("%H:%M")
        for s in Slot.objects.filter(office=office)
    ]
    assert starts == ["10:00", "11:30", "13:00", "14:30"]


def test_an_extra_day_is_held_and_a_cancelled_day_is_not(cast):
    office = OfficeFactory(code="kashima")
    ScheduleRuleFactory(office=office, weekdays="2", weeks="4")
    # 2027-03-24 is the 4th Wednesday; 2027-03-21 (Sunday) an extra day.
    DayExceptionFactory(office=office, date=dt.date(2027, 3, 24), kind="cancelled")
    DayExceptionFactory(
        office=office,
        date=dt.date(2027, 3, 21),
        kind="extra",
        starts_at=dt.time(13, 0),
        ends_at=dt.time(15, 0),
        counselor=cast.counselor,
    )

    schedule_generate(
        by=cast.coordinator, date_from=dt.date(2027, 3, 1), date_to=dt.date(2027, 3, 31)
    )

    assert held_days(office) == [dt.date(2027, 3, 21)]
    assert Slot.objects.filter(office=office, counselor=cast.counselor).count() == 2


def test_a_day_cancelled_after_generation_loses_its_free_slots_but_never_a_booking(cast):
    office = OfficeFactory(code="namegata")
    ScheduleRuleFactory(office=office, weekdays="0", weeks="2")
    span = {"date_from": dt.date(2027, 6, 1), "date_to": dt.date(2027, 7, 31)}
    schedule_generate(by=cast.coordinator, **span)
    june, july = dt.date(2027, 6, 14), dt.date(2027, 7, 12)
    BookingFactory(slot=Slot.objects.filter(office=office, day__date=july).first())
    DayExceptionFactory(office=office, date=june, kind="cancelled")
    DayExceptionFactory(office=office, date=july, kind="cancelled")

    result = schedule_generate(by=cast.coordinator, **span)

    assert result.days_cancelled == 1
    assert result.conflicts == [("namegata", july)]
    assert held_days(office) == [july]
    assert not Slot.objects.filter(office=office, day__date=june).exists()


def test_a_counselor_cannot_generate_schedules(cast):
    with pytest.raises(ActionNotPermitted):
        schedule_generate(
            by=cast.counselor, date_from=dt.date(2027, 1, 1), date_to=dt.date(2027, 1, 31)
        )


def test_the_command_reports_progress_and_a_summary(cast, capsys):
    OfficeFactory(code="chikusei")
    ScheduleRuleFactory(office__code="chikusei", weekdays="4", weeks="1,3")

    call_command(
        "generate_satellite_days", "--from", "2027-01-01", "--to", "2027-01-31", "--by", "manager"
    )

    out = capsys.readouterr().out
    # The 1st Friday of January 2027 is 元日; the 3rd (the 15th) is held.
    assert "[1/1] chikusei: 1 days, 6 slots created" in out
    assert "1 offices, 2027-01-01–2027-01-31: 1 days and 6 slots created" in out
    assert "skipped 1 public holidays" in out


def test_the_command_names_a_bad_date(cast):
    with pytest.raises(CommandError, match="'2027-13-01' is not a date"):
        call_command(
            "generate_satellite_days",
            "--from",
            "2027-13-01",
            "--to",
            "2027-12-31",
            "--by",
            "manager",
        )
