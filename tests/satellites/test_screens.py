from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from casebook.intake.models import ConsultationSession
from casebook.satellites.models import Booking
from tests.factories import (
    BookingFactory,
    CaseFactory,
    ClientFactory,
    OfficeFactory,
    SessionFactory,
    SlotFactory,
    desk,
    slot_at,
)


@pytest.fixture
def office(db):
    return OfficeFactory(code="hitachi", name="日立サテライト")


@pytest.fixture
def this_hour(office, cast):
    now = timezone.localtime()
    return slot_at(office, now.replace(minute=0, second=0, microsecond=0), counselor=cast.counselor)


def logged_in(user) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def day_url(office, day=None) -> str:
    day = day or timezone.localdate()
    return reverse("satellites:day", args=[office.code]) + f"?date={day:%Y-%m-%d}"


def test_the_day_screen_offers_check_in_and_no_show_on_a_booking(cast, office, this_hour):
    booking = BookingFactory(slot=this_hour, client=ClientFactory(), company_name="株式会社来所")

    page = logged_in(cast.counselor).get(day_url(office)).content.decode()

    assert "株式会社来所" in page
    assert reverse("satellites:check_in", args=[booking.pk]) in page
    assert reverse("satellites:no_show", args=[booking.pk]) in page


def test_an_auditor_sees_the_day_but_is_offered_no_action(cast, office, this_hour):
    booking = BookingFactory(slot=this_hour, client=ClientFactory())

    page = logged_in(cast.auditor).get(day_url(office)).content.decode()

    assert booking.company_name in page
    assert reverse("satellites:check_in", args=[booking.pk]) not in page


def test_one_tap_checks_a_booked_client_in(cast, office, this_hour):
    booking = BookingFactory(slot=this_hour, client=ClientFactory())

    response = logged_in(cast.counselor).post(
        reverse("satellites:check_in", args=[booking.pk]), {"version": booking.version}
    )

    assert response.status_code == 302 and response.url == day_url(office)
    booking.refresh_from_db()
    assert booking.status == "checked_in"
    assert ConsultationSession.objects.filter(mode="in_person_satellite").count() == 1


def test_a_public_booking_names_its_client_on_the_check_in_form(cast, office, this_hour):
    existing = ClientFactory(name="有限会社ウェブ商店")
    booking = BookingFactory(slot=this_hour, channel="public", company_name="ウェブ商店")
    web = logged_in(cast.counselor)
    url = reverse("satellites:check_in", args=[booking.pk])

    form = web.get(url)
    response = web.post(url, {"version": 1, "client": existing.pk, "summary": "販路の相談"})

    assert "有限会社ウェブ商店" in form.content.decode()
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.client == existing and booking.session.summary == "販路の相談"


def test_a_no_show_is_one_tap_and_a_stale_tap_is_refused(cast, office, this_hour):
    booking = BookingFactory(slot=this_hour, client=ClientFactory())
    web = logged_in(cast.counselor)
    url = reverse("satellites:no_show", args=[booking.pk])

    assert web.post(url, {"version": 1}).status_code == 302
    again = web.post(url, {"version": 1})

    assert again.status_code in (409, 412)
    assert Booking.objects.get().status == "no_show"


def test_strangers_get_no_day_screen(cast, office):
    assert logged_in(cast.outsider).get(day_url(office)).status_code == 404


def test_the_week_shows_an_offices_and_a_counselors_slots(cast, office):
    other = OfficeFactory(code="koga", name="古河サテライト")
    start = timezone.localdate() + dt.timedelta(days=7)
    start -= dt.timedelta(days=start.weekday())
    at = timezone.make_aware(dt.datetime.combine(start, dt.time(10)))
    slot_at(office, at, counselor=cast.counselor)
    slot_at(other, at + dt.timedelta(days=1), counselor=cast.coordinator)
    web = logged_in(cast.counselor)
    base = reverse("satellites:week") + f"?start={start:%Y-%m-%d}"

    by_office = web.get(base + "&office=koga").content.decode()
    by_counselor = web.get(base + f"&counselor={cast.counselor.pk}").content.decode()

    assert "古河サテライト</td>" in by_office and "日立サテライト</td>" not in by_office
    assert "日立サテライト</td>" in by_counselor and "古河サテライト</td>" not in by_counselor


def utilisation_fixture(office):
    """Two months of slots at `office` with bookings in every state; returns the month."""
    month = dt.date(2026, 10, 1)
    statuses = ["checked_in", "checked_in", "no_show", "booked", "cancelled", None, None]
    for day in (6, 20):
        for hour, status in zip(range(10, 17), statuses, strict=True):
            at = timezone.make_aware(dt.datetime(2026, 10, day, hour))
            slot = slot_at(office, at)
            if status == "checked_in":
                session = SessionFactory(started_at=at, mode="in_person_satellite", office=office)
                BookingFactory(slot=slot, status=status, session=session)
            elif status:
                BookingFactory(slot=slot, status=status)
    slot_at(office, timezone.make_aware(dt.datetime(2026, 11, 2, 10)))  # another month
    return month


def expected_utilisation(office, month) -> list[str]:
    """The figures counted again from the rows, without the selector."""
    slots = [
        s for s in office.slots.all() if timezone.localtime(s.starts_at).date().month == month.month
    ]
    bookings = [b for s in slots for b in s.bookings.all()]
    return [
        office.name,
        str(len({s.day_id for s in slots})),
        str(len(slots)),
        str(sum(b.status != "cancelled" for b in bookings)),
        str(sum(b.status == "checked_in" for b in bookings)),
        str(sum(b.status == "no_show" for b in bookings)),
    ]


def test_utilisation_per_office_and_month_as_csv(cast, office):
    month = utilisation_fixture(office)

    response = logged_in(cast.manager).get(
        reverse("satellites:utilisation") + "?month=2026-10&format=csv"
    )

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["拠点", "開催日数", "提供枠数", "予約数", "実施数", "無断欠席"]
    assert rows[1] == expected_utilisation(office, month)
    assert rows[1][1:] == ["2", "14", "8", "4", "2"]


def test_the_utilisation_page_shows_the_same_figures(cast, office):
    month = utilisation_fixture(office)

    page = logged_in(cast.manager).get(reverse("satellites:utilisation") + "?month=2026-10")

    row = next(r for r in page.context["rows"] if r.office == office)
    shown = [row.office.name, row.days_held, row.slots_offered, row.booked, row.held, row.no_show]
    assert [str(v) for v in shown] == expected_utilisation(office, month)
    assert "<td>14</td><td>8</td><td>4</td><td>2</td>" in page.content.decode()


def test_the_day_screen_names_a_booking_case_only_to_those_who_may_see_it(cast, office, this_hour):
    case = CaseFactory(desk=desk("yorozu"), confidentiality="restricted", on_exit_track=True)
    BookingFactory(slot=this_hour, client=case.client, case=case)

    assert case.number not in logged_in(cast.counselor).get(day_url(office)).content.decode()
    assert case.number in logged_in(cast.manager).get(day_url(office)).content.decode()


def test_an_office_name_is_never_read_as_a_formula_in_the_csv(cast):
    OfficeFactory(code="formula", name="=HYPERLINK(1)")

    response = logged_in(cast.manager).get(reverse("satellites:utilisation") + "?format=csv")

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body


def test_a_booking_of_a_later_day_is_offered_neither_check_in_nor_no_show(cast, office):
    later = SlotFactory(office=office, starts_at=timezone.localtime() + dt.timedelta(days=2))
    booking = BookingFactory(slot=later, client=ClientFactory())

    page = logged_in(cast.counselor).get(
        day_url(office, timezone.localtime(later.starts_at).date())
    )

    text = page.content.decode()
    assert reverse("satellites:check_in", args=[booking.pk]) not in text
    assert reverse("satellites:no_show", args=[booking.pk]) not in text
    assert reverse("satellites:cancel", args=[booking.pk]) in text
