"""`/api/v1/notifications/`: newest first, `?unread=true`, cursor pages, `read`, `read-all`."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from casebook.intake.events import publish_case_event
from casebook.intake.models import Case
from casebook.notifications.models import Notification
from tests.factories import CaseFactory, desk

pytestmark = pytest.mark.django_db
URL = "/api/v1/notifications/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def notify(case, user, times: int = 1) -> None:
    for _ in range(times):
        publish_case_event(case, "updated", notify_user_ids={user.pk})


def test_the_list_is_the_callers_own_newest_first_in_the_contract_shape(cast, led_case):
    notify(led_case, cast.counselor, times=2)
    notify(led_case, cast.coordinator)

    body = api(cast.counselor).get(URL).json()

    assert set(body) == {"next", "previous", "results"}
    assert len(body["results"]) == 2
    first = body["results"][0]
    assert set(first) == {"id", "kind", "text", "url", "read", "created_at"}
    assert first["kind"] == "updated"
    assert first["url"] == f"/cases/{led_case.pk}/"
    assert first["read"] is False
    assert led_case.number in first["text"]
    ids = [row["id"] for row in body["results"]]
    assert ids == sorted(ids, reverse=True)


def test_unread_true_leaves_out_what_was_read(cast, led_case):
    notify(led_case, cast.counselor, times=3)
    oldest = Notification.objects.order_by("pk").first()
    client = api(cast.counselor)
    client.post(f"{URL}{oldest.pk}/read/")

    unread = client.get(URL, {"unread": "true"}).json()["results"]
    everything = client.get(URL, {"unread": "false"}).json()["results"]

    assert oldest.pk not in [row["id"] for row in unread]
    assert len(unread) == 2 and len(everything) == 3


def test_a_bad_unread_value_is_a_field_error(cast):
    response = api(cast.counselor).get(URL, {"unread": "maybe"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "unread"


def test_pages_follow_the_cursor_without_repeats(cast, led_case):
    notify(led_case, cast.counselor, times=7)
    client = api(cast.counselor)

    seen: list[int] = []
    page = client.get(URL, {"page_size": 3}).json()
    while True:
        seen += [row["id"] for row in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()

    assert len(seen) == 7 == len(set(seen))


def test_read_marks_one_and_answers_it(cast, led_case):
    notify(led_case, cast.counselor)
    notification = Notification.objects.get()

    response = api(cast.counselor).post(f"{URL}{notification.pk}/read/")

    assert response.status_code == 200
    assert response.json()["read"] is True
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_read_all_marks_every_unread_one(cast, led_case):
    notify(led_case, cast.counselor, times=4)
    notify(led_case, cast.coordinator)

    response = api(cast.counselor).post(f"{URL}read-all/")

    assert response.json() == {"marked": 4, "unread": 0}
    assert Notification.objects.filter(recipient=cast.coordinator, read_at=None).count() == 1


def test_another_users_notification_answers_404(cast, led_case):
    notify(led_case, cast.coordinator)
    notification = Notification.objects.get()

    response = api(cast.counselor).post(f"{URL}{notification.pk}/read/")

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_notification_about_a_case_out_of_sight_has_no_url_and_no_case_data(cast):
    case = CaseFactory(
        desk=desk("yorozu"), status="active", lead_counselor=cast.counselor, title="廃業の相談"
    )
    notify(case, cast.counselor)
    Case.objects.filter(pk=case.pk).update(
        confidentiality="restricted", on_exit_track=True, lead_counselor=cast.exit_team
    )

    row = api(cast.counselor).get(URL).json()["results"][0]

    assert row["url"] is None
    assert case.number not in row["text"] and "廃業" not in row["text"]


def test_an_anonymous_call_is_refused(db):
    assert APIClient().get(URL).status_code == 401


def test_the_endpoints_cost_the_same_whatever_the_inbox_holds(
    cast, led_case, django_assert_max_num_queries
):
    notify(led_case, cast.counselor, times=60)
    client = api(cast.counselor)
    notification = Notification.objects.first()

    with django_assert_max_num_queries(5):
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(URL, {"unread": "true", "page_size": 200}).status_code == 200
    with django_assert_max_num_queries(7):
        assert client.post(f"{URL}{notification.pk}/read/").status_code == 200
    with django_assert_max_num_queries(5):
        assert client.post(f"{URL}read-all/").status_code == 200


def test_the_list_is_ordered_by_creation_time_then_id(cast, led_case):
    import datetime as dt

    from django.utils import timezone

    notify(led_case, cast.counselor, times=3)
    first, _second, third = Notification.objects.order_by("pk")
    # The oldest row was created last (a slow transaction): the time decides the order.
    Notification.objects.filter(pk=first.pk).update(
        created_at=timezone.now() + dt.timedelta(minutes=5)
    )

    ids = [row["id"] for row in api(cast.counselor).get(URL, {"page_size": 2}).json()["results"]]

    assert ids == [first.pk, third.pk]
