"""Query budgets of every satellite screen and endpoint (docs/satellites.md, "Query budgets").

The lists cost the same for a few rows and many: a day of 3 booked slots and one of 12.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casebook.satellites.forms import form_started_token
from tests.factories import BookingFactory, ClientFactory, OfficeFactory, slot_at


def fill_day(office, counselor, n: int, day: dt.date) -> list:
    bookings = []
    for hour in range(n):
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(0))) + dt.timedelta(hours=hour)
        slot = slot_at(office, at, counselor=counselor)
        bookings.append(BookingFactory(slot=slot, client=ClientFactory()))
    return bookings


def count(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = fn()
    assert response.status_code in (200, 201, 302), getattr(response, "content", b"")[:500]
    return len(queries)


def logged_in(user) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user=user)
    return api


@pytest.fixture
def two_offices(cast):
    few, many = OfficeFactory(code="few"), OfficeFactory(code="many")
    day = timezone.localdate() + dt.timedelta(days=2)
    fill_day(few, cast.counselor, 3, day)
    fill_day(many, cast.counselor, 12, day)
    return few, many, day


DAY_BUDGET = 8
WEEK_BUDGET = 9
UTILISATION_BUDGET = 7
API_LIST_BUDGET = 6
CHECK_IN_BUDGET = 70
API_CREATE_BUDGET = 22


def test_the_day_screen_costs_the_same_for_3_bookings_and_12(cast, two_offices):
    few, many, day = two_offices
    web = logged_in(cast.counselor)

    def url(office):
        return reverse("satellites:day", args=[office.code]) + f"?date={day:%Y-%m-%d}"

    small, large = count(lambda: web.get(url(few))), count(lambda: web.get(url(many)))
    assert small == large <= DAY_BUDGET


def test_the_week_costs_the_same_for_few_and_many(cast, two_offices):
    _, _, day = two_offices
    web = logged_in(cast.counselor)
    base = reverse("satellites:week") + f"?start={day:%Y-%m-%d}&office="

    small, large = count(lambda: web.get(base + "few")), count(lambda: web.get(base + "many"))
    assert small == large <= WEEK_BUDGET


def test_the_index_and_utilisation_and_its_csv_stay_within_their_budget(
    cast, two_offices, django_assert_max_num_queries
):
    web = logged_in(cast.manager)
    with django_assert_max_num_queries(5):
        web.get(reverse("satellites:index"))
    with django_assert_max_num_queries(UTILISATION_BUDGET):
        web.get(reverse("satellites:utilisation"))
    with django_assert_max_num_queries(UTILISATION_BUDGET):
        web.get(reverse("satellites:utilisation") + "?format=csv")


def test_one_tap_check_in_and_no_show_stay_within_their_budget(cast, django_assert_max_num_queries):
    office = OfficeFactory(code="tap")
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    arrived = BookingFactory(
        slot=slot_at(office, now, counselor=cast.counselor), client=ClientFactory()
    )
    absent = BookingFactory(
        slot=slot_at(office, now - dt.timedelta(hours=1), counselor=cast.counselor),
        client=ClientFactory(),
    )
    web = logged_in(cast.counselor)
    # A check-in opens a case, assigns it and logs the session through intake's services.
    with django_assert_max_num_queries(CHECK_IN_BUDGET):
        web.post(reverse("satellites:check_in", args=[arrived.pk]), {"version": 1})
    with django_assert_max_num_queries(9):
        web.post(reverse("satellites:no_show", args=[absent.pk]), {"version": 1})


def test_the_public_form_stays_within_its_budget(db, settings, django_assert_max_num_queries):
    settings.CASEBOOK_BOOKING_MIN_FILL_SECONDS = 0
    office = OfficeFactory(code="public")
    day = timezone.localdate() + dt.timedelta(days=2)
    slots = [
        slot_at(office, timezone.make_aware(dt.datetime.combine(day, dt.time(10 + h))))
        for h in range(6)
    ]
    web = WebClient()
    page = reverse("satellites:public_book", args=[office.code])
    with django_assert_max_num_queries(1):
        web.get(reverse("satellites:public_offices"))
    with django_assert_max_num_queries(2):
        web.get(page)
    with django_assert_max_num_queries(3):
        web.get(page + f"?day={day:%Y-%m-%d}")
    data = {
        "slot": slots[0].pk,
        "company_name": "株式会社予算",
        "contact_name": "予算",
        "email": "budget@example.jp",
        "privacy_consent": "on",
        "started": form_started_token(),
    }
    with django_assert_max_num_queries(17):
        web.post(page + f"?day={day:%Y-%m-%d}", data)


def test_the_slot_and_booking_lists_cost_the_same_for_few_and_many(cast, two_offices):
    few, many, _ = two_offices
    api = api_for(cast.counselor)
    api.get("/api/v1/slots/")  # the user's desk roles, read once per user object

    for path in ("/api/v1/slots/?office={}", "/api/v1/bookings/?office={}"):
        small = count(lambda path=path: api.get(path.format(few.pk)))
        large = count(lambda path=path: api.get(path.format(many.pk)))
        assert small == large <= API_LIST_BUDGET, path


def test_booking_and_its_actions_through_the_api_stay_within_their_budget(
    cast, django_assert_max_num_queries
):
    office = OfficeFactory(code="apibudget")
    later = slot_at(office, timezone.localtime() + dt.timedelta(days=1))
    api = api_for(cast.counselor)
    with django_assert_max_num_queries(API_CREATE_BUDGET):
        created = api.post(
            "/api/v1/bookings/", {"slot": later.pk, "client": ClientFactory().pk}, format="json"
        )
    with django_assert_max_num_queries(17):
        api.post(f"/api/v1/bookings/{created.json()['id']}/cancel/", {}, format="json")
    with django_assert_max_num_queries(4):
        api.get(f"/api/v1/offices/{office.pk}/")


def test_the_day_screen_with_free_slots_costs_the_same_for_3_and_12(cast):
    day = timezone.localdate() + dt.timedelta(days=3)
    few, many = OfficeFactory(code="few-free"), OfficeFactory(code="many-free")
    for office, n in ((few, 3), (many, 12)):
        for hour in range(n):
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(0))) + dt.timedelta(
                hours=hour
            )
            slot_at(office, at, counselor=cast.counselor)
    web = logged_in(cast.counselor)

    def url(office):
        return reverse("satellites:day", args=[office.code]) + f"?date={day:%Y-%m-%d}"

    small, large = count(lambda: web.get(url(few))), count(lambda: web.get(url(many)))
    assert small == large <= DAY_BUDGET
    live = count(lambda: web.get(url(many), headers={"HX-Request": "true"}))
    assert live <= DAY_BUDGET


BOOK_PAGE_BUDGET = 7
BOOK_BUDGET = 22


def test_the_staff_booking_form_and_its_search_and_cancelling_stay_within_their_budget(
    cast, django_assert_max_num_queries
):
    office = OfficeFactory(code="counter")
    slot = slot_at(office, timezone.localtime() + dt.timedelta(days=1), counselor=cast.counselor)
    client = ClientFactory(name="株式会社予算")
    for n in range(12):
        ClientFactory(name=f"株式会社予算{n}")
    web = logged_in(cast.counselor)
    url = reverse("satellites:book", args=[slot.pk])
    with django_assert_max_num_queries(BOOK_PAGE_BUDGET):
        web.get(url + "?q=予算", headers={"HX-Request": "true"})
    with django_assert_max_num_queries(BOOK_PAGE_BUDGET):
        web.get(url + f"?client={client.pk}")
    with django_assert_max_num_queries(BOOK_BUDGET):
        assert web.post(url, {"client": client.pk}).status_code == 302
    booking = slot.bookings.get()
    with django_assert_max_num_queries(BOOK_BUDGET):
        web.post(reverse("satellites:cancel", args=[booking.pk]), {"version": booking.version})
