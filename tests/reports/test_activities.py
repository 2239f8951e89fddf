from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as WebClient
from django.utils import timezone
from rest_framework.test import APIClient

from casebook.common.errors import ActionNotPermitted
from casebook.reports import selectors, services
from casebook.reports.models import Activity, ActivityParticipant
from tests.factories import CaseFactory, ClientFactory, desk

SECRET = "廃業の相談（限定）"


def record(by, **kwargs) -> Activity:
    values = {
        "kind": "proposal_business_meeting",
        "desk": desk("yorozu"),
        "title": "提案型商談会",
        "held_on": timezone.localdate() - dt.timedelta(days=2),
        "place": "水戸市",
    }
    return services.activity_create(by=by, **{**values, **kwargs})


def test_a_coordinator_records_an_activity_with_its_participants_and_outcomes(cast):
    client = ClientFactory()
    follow_up = CaseFactory(client=client)
    activity = record(
        cast.coordinator,
        participants=[
            services.Participant(client=client, deals=2, follow_up_case=follow_up),
            services.Participant(client=ClientFactory()),
        ],
    )

    row = selectors.activity_list_for_user(user=cast.manager).get(pk=activity.pk)
    assert (row.participant_count, row.deal_count, row.follow_up_count) == (2, 2, 1)
    assert activity.history.first().history_user == cast.coordinator


def test_a_counselor_or_another_desks_coordinator_records_none(cast, ip_coordinator):
    with pytest.raises(ActionNotPermitted):
        record(cast.counselor)
    with pytest.raises(ActionNotPermitted):
        record(ip_coordinator)
    assert not Activity.objects.exists()


def test_a_refused_activity_saves_nothing_and_names_each_field(cast):
    client = ClientFactory()
    with pytest.raises(ValidationError) as refused:
        record(
            cast.manager,
            held_on=timezone.localdate() + dt.timedelta(days=1),
            place="",
            participants=[
                services.Participant(client=client, follow_up_case=CaseFactory()),
            ],
        )

    assert set(refused.value.message_dict) == {"held_on", "place", "participants"}
    assert not Activity.objects.exists() and not ActivityParticipant.objects.exists()


def test_a_restricted_follow_up_case_counts_but_is_never_shown(cast):
    client = ClientFactory()
    restricted = CaseFactory(
        client=client, confidentiality="restricted", on_exit_track=True, title=SECRET
    )
    activity = record(
        cast.manager, participants=[services.Participant(client=client, follow_up_case=restricted)]
    )
    web = WebClient()
    web.force_login(cast.manager)

    page = web.get(f"/reports/activities/{activity.pk}/").content.decode()
    assert restricted.number not in page and SECRET not in page
    assert f"/cases/{restricted.pk}/" not in page
    listing = web.get("/reports/activities/").content.decode()
    assert activity.title in listing
    api = APIClient()
    api.force_authenticate(cast.manager)
    answer = api.get(f"/api/v1/activities/{activity.pk}/").json()
    assert answer["participants"][0]["follow_up_case"] is None
    assert api.get("/api/v1/activities/").json()["results"][0]["follow_up_count"] == 1


def test_the_api_records_an_activity_and_refuses_an_unseen_case_as_a_field_error(
    cast, ip_coordinator
):
    client = ClientFactory()
    api = APIClient()
    api.force_authenticate(cast.coordinator)
    body = {
        "kind": "seeds_review",
        "desk": "yorozu",
        "title": "シーズ実用化検討会",
        "held_on": str(timezone.localdate()),
        "online": True,
        "participants": [{"client": client.pk, "deals": 1}],
    }

    created = api.post("/api/v1/activities/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["participants"][0]["client"] == client.pk

    unseen = CaseFactory(client=client, desk=desk("ip"), confidentiality="confidential")
    body["participants"][0]["follow_up_case"] = unseen.pk
    refused = api.post("/api/v1/activities/", body, format="json")
    assert refused.status_code == 400
    assert [error["field"] for error in refused.json()["errors"]] == ["participants"]
    assert Activity.objects.count() == 1


def test_a_coordinator_sees_the_activities_of_their_desk_only(cast, ip_coordinator):
    mine = record(cast.coordinator)
    theirs = record(ip_coordinator, desk=desk("ip"))

    assert list(selectors.activity_list_for_user(user=cast.coordinator)) == [mine]
    web = WebClient()
    web.force_login(cast.coordinator)
    assert web.get(f"/reports/activities/{theirs.pk}/").status_code == 404
    web.force_login(cast.counselor)
    assert web.get(f"/reports/activities/{mine.pk}/").status_code == 404
    assert web.get("/reports/activities/").status_code == 404


def test_activities_count_by_kind_in_their_fiscal_year(cast):
    record(cast.manager, held_on=dt.date(2025, 3, 31))
    record(cast.manager, held_on=dt.date(2025, 4, 1))
    record(cast.manager, held_on=dt.date(2025, 4, 2), kind="newsletter")

    counts = {
        k: n
        for k, _label, n in selectors.activity_counts_by_kind(user=cast.manager, fiscal_year=2025)
    }
    assert counts["proposal_business_meeting"] == 1
    assert counts["newsletter"] == 1
    assert counts["seminar"] == 0


# --- the web screens ----------------------------------------------------------------------

FORM = {
    "kind": "seminar",
    "title": "事業承継セミナー",
    "place": "水戸市",
    "organisers": "商工会議所",
}


def logged_in(user) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def form_of(**changes) -> dict:
    held_on = timezone.localdate() - dt.timedelta(days=1)
    return FORM | {"desk": desk("yorozu").pk, "held_on": held_on.isoformat()} | changes


def test_a_coordinator_records_an_activity_from_the_web_form_reached_from_the_reports(cast):
    web = logged_in(cast.coordinator)
    assert "/reports/activities/new/" in web.get("/reports/").content.decode()
    assert "/reports/activities/new/" in web.get("/reports/activities/").content.decode()
    assert web.get("/reports/activities/new/").status_code == 200

    answer = web.post("/reports/activities/new/", form_of(form_token="t1"))

    activity = Activity.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/reports/activities/{activity.pk}/"
    assert (activity.title, activity.place, activity.desk, activity.version) == (
        "事業承継セミナー",
        "水戸市",
        desk("yorozu"),
        1,
    )
    replay = web.post("/reports/activities/new/", form_of(form_token="t1"))
    assert replay.status_code == 302
    assert Activity.objects.count() == 1


def test_the_web_form_names_the_fields_the_service_refuses_and_saves_nothing(cast):
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    answer = logged_in(cast.manager).post(
        "/reports/activities/new/", form_of(held_on=future, place="")
    )

    assert answer.status_code == 400
    assert set(answer.context["form"].errors) == {"held_on", "place"}
    assert "開催後に登録します" in answer.content.decode()
    assert not Activity.objects.exists()


def test_a_counselor_is_offered_no_form_and_another_desk_is_not_in_a_coordinators_choice(
    cast, ip_coordinator
):
    counselor = logged_in(cast.counselor)
    assert counselor.get("/reports/activities/new/").status_code == 404  # reads no report
    answer = logged_in(ip_coordinator).post("/reports/activities/new/", form_of())
    assert answer.status_code == 400
    assert set(answer.context["form"].errors) == {"desk"}
    assert not Activity.objects.exists()


def test_an_activity_is_edited_with_the_version_shown_and_a_stale_edit_is_refused(cast):
    activity = record(cast.coordinator, title="旧題")
    web = logged_in(cast.coordinator)
    page = web.get(f"/reports/activities/{activity.pk}/")
    assert f"/reports/activities/{activity.pk}/edit/" in page.content.decode()
    edit = f"/reports/activities/{activity.pk}/edit/"
    assert web.get(edit).context["form"].initial["version"] == 1

    assert web.post(edit, form_of(title="新題", version=1)).status_code == 302
    stale = web.post(edit, form_of(title="別題", version=1))

    assert stale.status_code == 409
    activity.refresh_from_db()
    assert (activity.title, activity.version) == ("新題", 2)
    assert activity.history.first().history_user == cast.coordinator


def test_another_desks_coordinator_may_not_edit_an_activity_and_is_offered_no_edit(
    cast, ip_coordinator
):
    activity = record(cast.coordinator)
    web = logged_in(ip_coordinator)
    assert web.get(f"/reports/activities/{activity.pk}/edit/").status_code == 404
    manager = logged_in(cast.manager)
    assert (
        f"/reports/activities/{activity.pk}/edit/"
        in manager.get(f"/reports/activities/{activity.pk}/").content.decode()
    )


def test_an_auditor_reads_the_activities_but_is_refused_their_forms(cast):
    activity = record(cast.coordinator)
    web = logged_in(cast.auditor)
    listing = web.get("/reports/activities/").content.decode()
    assert activity.title in listing
    assert "/reports/activities/new/" not in listing
    assert web.get("/reports/activities/new/").status_code == 403
    assert web.post(f"/reports/activities/{activity.pk}/edit/", form_of()).status_code == 403
    activity.refresh_from_db()
    assert activity.version == 1
