from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from casebook.intake.models import ConsultationSession
from casebook.satellites.models import Booking
from tests.factories import (
    BookingFactory,
    ClientFactory,
    OfficeFactory,
    ScheduleRuleFactory,
    SlotFactory,
    slot_at,
)


@pytest.fixture
def api_as():
    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def office(db):
    return OfficeFactory(code="hitachi")


def test_offices_come_with_their_rules(api_as, cast, office):
    ScheduleRuleFactory(office=office, weekdays="1", weeks="2,4", counselor=cast.counselor)

    body = api_as(cast.counselor).get(f"/api/v1/offices/{office.pk}/").json()

    assert body["slot_minutes"] == 60
    assert body["rules"][0]["weekdays"] == "1" and body["rules"][0]["weeks"] == "2,4"
    assert body["rules"][0]["counselor"] == cast.counselor.pk


def test_slots_are_filtered_by_office_dates_and_free(api_as, cast, office):
    tomorrow = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    tomorrow += dt.timedelta(days=1)
    free = slot_at(office, tomorrow, counselor=cast.counselor)
    taken = slot_at(office, tomorrow + dt.timedelta(hours=1))
    BookingFactory(slot=taken)
    later = slot_at(office, tomorrow + dt.timedelta(days=10))
    SlotFactory(starts_at=tomorrow)  # another office
    day = tomorrow.date().isoformat()
    api = api_as(cast.counselor)

    same_day = api.get(f"/api/v1/slots/?office={office.pk}&date_from={day}&date_to={day}").json()
    only_free = api.get(f"/api/v1/slots/?office={office.pk}&free=true").json()

    assert [s["id"] for s in same_day["results"]] == [free.pk, taken.pk]
    assert same_day["results"][0] == {
        "id": free.pk,
        "office": office.pk,
        "starts_at": same_day["results"][0]["starts_at"],
        "ends_at": same_day["results"][0]["ends_at"],
        "counselor": cast.counselor.pk,
        "free": True,
    }
    assert same_day["results"][1]["free"] is False
    assert [s["id"] for s in only_free["results"]] == [free.pk, later.pk]


def test_a_login_without_a_desk_sees_no_slot_and_no_booking(api_as, cast, office):
    booking = BookingFactory(slot=SlotFactory(office=office))
    api = api_as(cast.outsider)

    assert api.get("/api/v1/slots/").json()["results"] == []
    assert api.get(f"/api/v1/bookings/{booking.pk}/").status_code == 404


def test_a_booking_is_created_once_per_idempotency_key(api_as, cast, office):
    slot = SlotFactory(office=office)
    client = ClientFactory()
    api = api_as(cast.counselor)
    payload = {"slot": slot.pk, "client": client.pk, "topic": "資金繰り"}

    first = api.post("/api/v1/bookings/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/bookings/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == 201, first.content
    assert first.json() == {
        "id": first.json()["id"],
        "slot": slot.pk,
        "client": client.pk,
        "case": None,
        "status": "booked",
        "version": 1,
    }
    assert again.json() == first.json()
    assert Booking.objects.count() == 1


def test_a_taken_slot_answers_409_with_a_clear_code(api_as, cast, office):
    slot = SlotFactory(office=office)
    BookingFactory(slot=slot)

    response = api_as(cast.counselor).post(
        "/api/v1/bookings/", {"slot": slot.pk, "client": ClientFactory().pk}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "slot_taken"


def test_an_unknown_client_is_a_field_error(api_as, cast, office):
    response = api_as(cast.counselor).post(
        "/api/v1/bookings/",
        {"slot": SlotFactory(office=office).pk, "client": 999999},
        format="json",
    )

    assert response.status_code == 400
    assert "client" in str(response.json())


def test_check_in_no_show_and_cancel_through_the_api(api_as, cast, office):
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    arrived = BookingFactory(
        slot=slot_at(office, now, counselor=cast.counselor), client=ClientFactory()
    )
    absent = BookingFactory(
        slot=slot_at(office, now - dt.timedelta(hours=1), counselor=cast.counselor)
    )
    later = BookingFactory(slot=SlotFactory(office=office))
    api = api_as(cast.counselor)

    checked = api.post(f"/api/v1/bookings/{arrived.pk}/check-in/", {}, format="json")
    stale = api.post(f"/api/v1/bookings/{absent.pk}/no-show/", {}, HTTP_IF_MATCH='"7"')
    missed = api.post(f"/api/v1/bookings/{absent.pk}/no-show/", {}, HTTP_IF_MATCH='"1"')
    cancelled = api.post(f"/api/v1/bookings/{later.pk}/cancel/", {"reason": "延期"}, format="json")
    twice = api.post(f"/api/v1/bookings/{later.pk}/cancel/", {}, format="json")

    assert checked.status_code == 200, checked.content
    assert checked.json()["status"] == "checked_in" and checked.json()["case"] is not None
    assert ConsultationSession.objects.filter(mode="in_person_satellite").count() == 1
    assert stale.status_code == 412
    assert missed.json()["status"] == "no_show" and missed.json()["version"] == 2
    assert cancelled.json()["status"] == "cancelled"
    assert twice.status_code == 409
