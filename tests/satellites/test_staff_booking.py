"""Staff book a slot for a client and cancel bookings from the day screen: the same service
and the same no-double-booking rule as the public form and the API."""

from __future__ import annotations

import pytest
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone, translation

from casebook.intake.models import Client
from casebook.intake.services import client_create
from casebook.satellites.models import Booking
from casebook.satellites.services import SlotTaken
from tests.factories import BookingFactory, CaseFactory, ClientFactory, OfficeFactory, SlotFactory
from tests.factories import desk as desk_named


@pytest.fixture
def office(db):
    return OfficeFactory(code="hitachi", name="日立サテライト")


@pytest.fixture
def slot(office):
    return SlotFactory(office=office)


def logged_in(user) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def book_url(slot, query: str = "") -> str:
    return reverse("satellites:book", args=[slot.pk]) + query


def day_url(slot) -> str:
    day = timezone.localtime(slot.starts_at).date()
    return reverse("satellites:day", args=[slot.office.code]) + f"?date={day:%Y-%m-%d}"


def test_the_day_screen_offers_a_free_slot_for_booking_and_a_booking_for_cancelling(cast, slot):
    other = SlotFactory(office=slot.office, starts_at=slot.ends_at)
    booking = BookingFactory(slot=other, client=ClientFactory())

    page = logged_in(cast.counselor).get(day_url(slot)).content.decode()

    assert book_url(slot) in page
    assert book_url(other) not in page
    assert reverse("satellites:cancel", args=[booking.pk]) in page


def test_an_auditor_is_offered_neither_booking_nor_cancelling(cast, slot):
    booking = BookingFactory(slot=SlotFactory(office=slot.office, starts_at=slot.ends_at))

    page = logged_in(cast.auditor).get(day_url(slot)).content.decode()

    assert book_url(slot) not in page
    assert reverse("satellites:cancel", args=[booking.pk]) not in page
    assert logged_in(cast.auditor).get(book_url(slot)).status_code == 403


def test_the_search_finds_the_client_and_the_booking_names_one_of_their_cases(cast, slot):
    client = ClientFactory(name="株式会社常陸製作所")
    case = CaseFactory(desk=desk_named("yorozu"), client=client)
    web = logged_in(cast.counselor)

    results = web.get(book_url(slot, "?q=常陸"), headers={"HX-Request": "true"}).content.decode()
    assert book_url(slot, f"?client={client.pk}") in results

    form = web.get(book_url(slot, f"?client={client.pk}"))
    assert case.number in form.content.decode()
    token = form.context["form"].initial["form_token"]
    answer = web.post(
        book_url(slot),
        {"client": client.pk, "case": case.pk, "topic": "資金繰り", "form_token": token},
    )

    assert answer.status_code == 302
    assert answer.url == day_url(slot)
    booking = Booking.objects.get(slot=slot)
    assert (booking.client, booking.case, booking.topic) == (client, case, "資金繰り")
    assert booking.channel == "staff"
    assert booking.created_by == cast.counselor


def test_a_new_client_is_registered_with_the_booking_as_at_intake(cast, slot):
    answer = logged_in(cast.counselor).post(
        book_url(slot), {"kind": "company", "name": "株式会社新規", "phone": "029-000-0000"}
    )

    assert answer.status_code == 302
    client = Client.objects.get(name="株式会社新規")
    assert Booking.objects.get(slot=slot).client == client


def test_a_possible_duplicate_client_is_shown_and_nothing_is_saved(cast, slot):
    existing = client_create(
        by=cast.counselor, kind="company", name="株式会社重複", phone="029-111-2222"
    )

    answer = logged_in(cast.counselor).post(
        book_url(slot), {"kind": "company", "name": "株式会社重複", "phone": "029-111-2222"}
    )

    assert answer.status_code == 400
    assert book_url(slot, f"?client={existing.pk}") in answer.content.decode()
    assert not Booking.objects.exists()
    assert Client.objects.filter(name="株式会社重複").count() == 1


def test_a_booking_without_a_client_names_the_field_and_saves_nothing(cast, slot):
    answer = logged_in(cast.counselor).post(book_url(slot), {"kind": "company", "topic": "相談"})

    assert answer.status_code == 400
    assert answer.context["form"].errors["name"]
    assert not Booking.objects.exists()


def test_a_slot_taken_meanwhile_is_refused_with_the_same_message_as_everywhere(cast, slot):
    BookingFactory(slot=slot, client=ClientFactory())
    client = ClientFactory()

    answer = logged_in(cast.counselor).post(book_url(slot), {"client": client.pk})

    assert answer.status_code == 409
    with translation.override("ja"):
        assert SlotTaken().message in answer.content.decode()
    assert Booking.objects.filter(slot=slot).count() == 1


def test_a_case_of_another_client_is_not_offered(cast, slot):
    client = ClientFactory()
    foreign = CaseFactory(desk=desk_named("yorozu"), client=ClientFactory())

    answer = logged_in(cast.counselor).post(
        book_url(slot), {"client": client.pk, "case": foreign.pk}
    )

    assert answer.status_code == 400
    assert answer.context["form"].errors["case"]
    assert not Booking.objects.exists()


def test_staff_cancel_a_booking_and_the_slot_is_free_again(cast, slot):
    booking = BookingFactory(slot=slot, client=ClientFactory())
    web = logged_in(cast.coordinator)

    assert web.get(reverse("satellites:cancel", args=[booking.pk])).status_code == 200
    answer = web.post(
        reverse("satellites:cancel", args=[booking.pk]),
        {"version": booking.version, "reason": "日程変更"},
    )

    assert answer.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_reason) == ("cancelled", "日程変更")
    assert book_url(slot) in web.get(day_url(slot)).content.decode()


def test_a_stale_cancel_is_refused_and_a_cancelled_booking_cannot_be_cancelled_again(cast, slot):
    booking = BookingFactory(slot=slot, client=ClientFactory(), version=2)
    web = logged_in(cast.counselor)
    url = reverse("satellites:cancel", args=[booking.pk])

    assert web.post(url, {"version": 1}).status_code == 409
    assert Booking.objects.get(pk=booking.pk).status == "booked"
    assert web.post(url, {"version": 2}).status_code == 302
    assert web.post(url, {"version": 3}).status_code == 409
