from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casebook.reports import services
from casebook.reports.models import Activity, ActivityParticipant
from tests.factories import ClientFactory, desk


def record(by, **kwargs) -> Activity:
    values = {
        "kind": "seminar",
        "desk": desk("yorozu"),
        "title": "個別相談会",
        "held_on": timezone.localdate() - dt.timedelta(days=2),
        "place": "水戸市",
    }
    return services.activity_create(by=by, **{**values, **kwargs})


def logged_in(user) -> WebClient:
    client = WebClient()
    client.force_login(user)
    return client


def add_url(activity: Activity) -> str:
    return f"/reports/activities/{activity.pk}/participants/"


def remove_url(activity: Activity) -> str:
    return f"/reports/activities/{activity.pk}/participants/remove/"


def test_a_coordinator_finds_a_client_in_the_registry_and_adds_them_to_the_activity(cast):
    activity = record(cast.coordinator)
    client = ClientFactory(name="株式会社ひたち製作", name_kana="カブシキガイシャヒタチセイサク")
    ClientFactory(name="水戸商事")
    web = logged_in(cast.coordinator)

    page = web.get(f"/reports/activities/{activity.pk}/").content.decode()
    assert add_url(activity) in page
    found = web.get(add_url(activity), {"q": "ひたち"}, HTTP_HX_REQUEST="true")
    assert (
        "株式会社ひたち製作" in found.content.decode() and "水戸商事" not in found.content.decode()
    )
    chosen = web.get(add_url(activity), {"client": client.pk})
    assert chosen.context["form"].initial["version"] == 1
    response = web.post(
        add_url(activity), {"client": client.pk, "deals": 2, "note": "名刺交換", "version": 1}
    )

    assert response.status_code == 302
    participant = ActivityParticipant.objects.get(activity=activity)
    assert (participant.client, participant.deals, participant.note) == (client, 2, "名刺交換")
    assert participant.history.get().history_user == cast.coordinator
    activity.refresh_from_db()
    assert activity.version == 2
    assert "株式会社ひたち製作" in web.get(f"/reports/activities/{activity.pk}/").content.decode()


def test_a_participant_added_against_a_stale_version_is_refused_and_nothing_is_saved(cast):
    activity = record(cast.coordinator)
    first, second = ClientFactory(), ClientFactory()
    web = logged_in(cast.coordinator)
    assert (
        web.post(add_url(activity), {"client": first.pk, "deals": 0, "version": 1}).status_code
        == 302
    )

    stale = web.post(add_url(activity), {"client": second.pk, "deals": 0, "version": 1})

    assert stale.status_code == 409
    assert list(ActivityParticipant.objects.values_list("client", flat=True)) == [first.pk]


def test_a_client_takes_part_once_and_the_refusal_names_the_field(cast):
    activity = record(cast.coordinator)
    client = ClientFactory()
    web = logged_in(cast.coordinator)
    web.post(add_url(activity), {"client": client.pk, "deals": 0, "version": 1})

    again = web.post(add_url(activity), {"client": client.pk, "deals": 0, "version": 2})
    negative = web.post(
        add_url(activity), {"client": ClientFactory().pk, "deals": -1, "version": 2}
    )
    unchosen = web.post(add_url(activity), {"deals": 0, "version": 2})

    assert again.status_code == 400 and "client" in again.context["form"].errors
    assert "すでにこの事業活動に参加" in again.content.decode()
    assert negative.status_code == 400 and "deals" in negative.context["form"].errors
    assert unchosen.status_code == 400 and "client" in unchosen.context["form"].errors
    assert ActivityParticipant.objects.count() == 1
    activity.refresh_from_db()
    assert activity.version == 2


def test_a_coordinator_removes_a_participant_with_the_version_shown(cast):
    activity = record(cast.coordinator)
    kept, gone = ClientFactory(), ClientFactory()
    web = logged_in(cast.coordinator)
    web.post(add_url(activity), {"client": kept.pk, "deals": 0, "version": 1})
    web.post(add_url(activity), {"client": gone.pk, "deals": 0, "version": 2})
    participant = ActivityParticipant.objects.get(client=gone)

    stale = web.post(remove_url(activity), {"participant": participant.pk, "version": 2})
    assert stale.status_code == 409
    done = web.post(remove_url(activity), {"participant": participant.pk, "version": 3})
    again = web.post(remove_url(activity), {"participant": participant.pk, "version": 4})

    assert done.status_code == 302
    assert again.status_code == 400
    assert list(ActivityParticipant.objects.values_list("client", flat=True)) == [kept.pk]
    assert (
        ActivityParticipant.history.filter(history_type="-").get().history_user == cast.coordinator
    )


def test_who_does_not_record_the_desks_activities_may_not_change_its_participants(
    cast, ip_coordinator
):
    activity = record(cast.coordinator)
    client = ClientFactory()
    post = {"client": client.pk, "deals": 0, "version": 1}

    assert logged_in(cast.auditor).get(add_url(activity)).status_code == 403
    assert logged_in(cast.auditor).post(add_url(activity), post).status_code == 403
    for user in (ip_coordinator, cast.counselor, cast.outsider):
        web = logged_in(user)
        assert web.get(add_url(activity)).status_code == 404
        assert web.post(add_url(activity), post).status_code == 404
        assert web.post(remove_url(activity), {"participant": 1, "version": 1}).status_code == 404
    page = logged_in(cast.auditor).get(f"/reports/activities/{activity.pk}/").content.decode()
    assert add_url(activity) not in page and remove_url(activity) not in page
    assert not ActivityParticipant.objects.exists()


def test_the_participant_screen_costs_the_same_for_3_participants_and_30(cast):
    activity = record(cast.coordinator)
    web = logged_in(cast.coordinator)

    def add(how_many: int) -> None:
        for _n in range(how_many):
            ActivityParticipant.objects.create(activity=activity, client=ClientFactory())

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert web.get(add_url(activity), {"q": "株式会社"}).status_code == 200
        return len(queries)

    add(3)
    few = count()
    add(27)
    many = count()
    # session and login (2), the nav (2; the desk roles it reads serve the policy too), the
    # activity (1), the search (1), the participants with their clients (1)
    assert many == few <= 7
