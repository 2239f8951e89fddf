from __future__ import annotations

import datetime as dt

from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone, translation

from casebook.common.extensions import registry
from casebook.satellites.models import ConsultationDay
from tests.factories import BookingFactory, OfficeFactory, slot_at
from tests.notifications.helpers import recipients, sent_on

KIND = "satellite_day_tomorrow"
FRIDAY = dt.date(2026, 6, 12)


def booked_day(office, counselor, day: dt.date, bookings: int) -> ConsultationDay:
    for hour in range(bookings):
        slot = slot_at(
            office,
            timezone.make_aware(dt.datetime.combine(day, dt.time(10 + hour))),
            counselor=counselor,
        )
        BookingFactory(slot=slot)
    consultation_day = ConsultationDay.objects.get(office=office, date=day)
    consultation_day.counselor = counselor
    consultation_day.save(update_fields=["counselor"])
    return consultation_day


def test_the_counselor_on_the_rota_is_reminded_the_day_before_once(cast):
    office = OfficeFactory(code="hitachi", name="日立サテライト")
    booked_day(office, cast.counselor, FRIDAY, 2)
    empty = OfficeFactory(code="koga")
    ConsultationDay.objects.create(
        office=empty,
        date=FRIDAY,
        starts_at=dt.time(10),
        ends_at=dt.time(16),
        counselor=cast.coordinator,
    )

    early = sent_on(FRIDAY - dt.timedelta(days=2), KIND)
    eve = sent_on(FRIDAY - dt.timedelta(days=1), KIND)
    again = sent_on(FRIDAY - dt.timedelta(days=1), KIND)
    on_the_day = sent_on(FRIDAY, KIND)

    assert early == [] and again == [] and on_the_day == []
    assert recipients(eve) == {cast.counselor.pk}
    source = registry.reminder_sources[KIND]
    with translation.override("en"):
        text = source.text("日立サテライト", eve[0].params)
    assert text == "日立サテライト: tomorrow's consultation day holds 2 bookings"


def test_the_yorozu_board_lists_todays_satellite_bookings(cast):
    office = OfficeFactory(code="tsukuba", name="つくばサテライト")
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    BookingFactory(slot=slot_at(office, now), company_name="株式会社本日")
    web = WebClient()
    web.force_login(cast.coordinator)

    yorozu = web.get(reverse("desk_board", args=["yorozu"])).content.decode()

    assert "株式会社本日" in yorozu
    assert reverse("satellites:day", args=["tsukuba"]) in yorozu


def test_other_desks_boards_do_not(cast):
    office = OfficeFactory(code="tsukuba")
    BookingFactory(slot=slot_at(office, timezone.localtime()), company_name="株式会社本日")
    web = WebClient()
    web.force_login(cast.colleague)

    assert "株式会社本日" not in web.get(reverse("desk_board", args=["ip"])).content.decode()
