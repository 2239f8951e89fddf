from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from casebook.satellites.forms import form_started_token
from casebook.satellites.models import Booking
from tests.factories import BookingFactory, OfficeFactory, SlotFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The rate limit counts in the cache; each test starts from nothing."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def office(db):
    return OfficeFactory(code="tsukuba", name="つくばサテライト")


@pytest.fixture
def slot(office):
    return SlotFactory(office=office)


@pytest.fixture
def quick(settings):
    settings.CASEBOOK_BOOKING_MIN_FILL_SECONDS = 0
    return settings


def day_url(slot) -> str:
    day = timezone.localtime(slot.starts_at).date()
    return reverse("satellites:public_book", args=[slot.office.code]) + f"?day={day:%Y-%m-%d}"


def form_data(slot, **changes) -> dict:
    data = {
        "slot": slot.pk,
        "company_name": "株式会社つくば工房",
        "contact_name": "鈴木 花子",
        "email": "suzuki@example.jp",
        "phone": "029-000-0000",
        "topic": "販路開拓",
        "privacy_consent": "on",
        "website": "",
        "started": form_started_token(),
    }
    data.update(changes)
    return data


def test_the_form_walks_from_office_to_day_to_free_times_in_japanese(office, slot):
    web = WebClient()
    taken = SlotFactory(office=office, starts_at=slot.starts_at + timezone.timedelta(hours=1))
    BookingFactory(slot=taken, company_name="株式会社ひみつ")

    offices = web.get(reverse("satellites:public_offices"))
    days = web.get(reverse("satellites:public_book", args=[office.code]))
    times = web.get(day_url(slot))

    assert "つくばサテライト" in offices.content.decode()
    assert f"?day={timezone.localtime(slot.starts_at):%Y-%m-%d}" in days.content.decode()
    page = times.content.decode()
    assert "予約する" in page and "個人情報の取扱いに同意します" in page
    assert f'value="{slot.pk}"' in page
    assert f'value="{taken.pk}"' not in page and "ひみつ" not in page


def test_a_booking_from_the_form_mails_a_link_that_cancels_it(
    quick, slot, django_capture_on_commit_callbacks
):
    web = WebClient()

    with django_capture_on_commit_callbacks(execute=True):
        sent = web.post(day_url(slot), form_data(slot))

    assert sent.status_code == 302 and sent.url == reverse("satellites:public_done")
    booking = Booking.objects.get()
    assert booking.channel == "public" and booking.status == "booked"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["suzuki@example.jp"]
    link = re.search(r"http\S+/book/cancel/\S+/", mail.outbox[0].body).group(0)
    path = link.split("127.0.0.1:8000", 1)[-1]
    assert web.get(path).status_code == 200
    assert web.post(path).status_code == 200
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    stale = web.post(path)
    assert stale.status_code == 409
    assert "このキャンセル用リンクは使えません" in stale.content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"privacy_consent": ""}, "privacy_consent"),
        ({"website": "http://spam.example"}, None),
        ({"started": "forged"}, None),
    ],
)
def test_bad_submissions_save_nothing(quick, slot, changes, field):
    response = WebClient().post(day_url(slot), form_data(slot, **changes))

    assert response.status_code == 400
    form = response.context["form"]
    assert (field in form.errors) if field else form.non_field_errors()
    assert not Booking.objects.exists() and not mail.outbox


def test_a_bot_speed_submission_is_refused_with_a_clear_message(settings, slot):
    settings.CASEBOOK_BOOKING_MIN_FILL_SECONDS = 60

    response = WebClient().post(day_url(slot), form_data(slot))

    assert response.status_code == 400
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["too_fast"]
    assert not Booking.objects.exists()


def test_a_slot_taken_meanwhile_is_refused_at_the_time_field(quick, slot):
    BookingFactory(slot=slot)

    response = WebClient().post(day_url(slot), form_data(slot))

    assert response.status_code == 400
    assert "slot" in response.context["form"].errors
    assert Booking.objects.count() == 1


def test_an_address_sending_too_many_bookings_is_held_back(quick, office):
    quick.CASEBOOK_BOOKING_RATE_PER_HOUR = 2
    web = WebClient()
    base = SlotFactory(office=office).starts_at
    slots = [
        SlotFactory(office=office, starts_at=base + timezone.timedelta(hours=h)) for h in (1, 2, 3)
    ]

    answers = [web.post(day_url(s), form_data(s)).status_code for s in slots]

    assert answers == [302, 302, 429]
    assert Booking.objects.count() == 2


def _three_slots(office) -> list:
    base = SlotFactory(office=office).starts_at
    return [
        SlotFactory(office=office, starts_at=base + timezone.timedelta(hours=h)) for h in (1, 2, 3)
    ]


def test_behind_a_trusted_proxy_each_visitor_has_their_own_booking_limit(quick, office):
    quick.CASEBOOK_BOOKING_RATE_PER_HOUR = 1
    quick.CASEBOOK_TRUSTED_PROXY_COUNT = 1
    proxy = WebClient(REMOTE_ADDR="10.0.0.1")
    first, second, third = _three_slots(office)

    answers = [
        proxy.post(day_url(first), form_data(first), HTTP_X_FORWARDED_FOR="198.51.100.7"),
        proxy.post(day_url(second), form_data(second), HTTP_X_FORWARDED_FOR="203.0.113.9"),
        proxy.post(day_url(third), form_data(third), HTTP_X_FORWARDED_FOR="198.51.100.7"),
    ]

    assert [answer.status_code for answer in answers] == [302, 302, 429]
    assert Booking.objects.count() == 2


def test_a_forged_forwarded_header_does_not_escape_the_booking_limit(quick, office):
    quick.CASEBOOK_BOOKING_RATE_PER_HOUR = 1
    quick.CASEBOOK_TRUSTED_PROXY_COUNT = 0
    web = WebClient(REMOTE_ADDR="198.51.100.7")
    first, second, _third = _three_slots(office)

    answers = [
        web.post(day_url(first), form_data(first), HTTP_X_FORWARDED_FOR="192.0.2.1"),
        web.post(day_url(second), form_data(second), HTTP_X_FORWARDED_FOR="192.0.2.2"),
    ]

    assert [answer.status_code for answer in answers] == [302, 429]
    assert Booking.objects.count() == 1
