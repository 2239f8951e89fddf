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
