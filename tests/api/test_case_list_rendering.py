"""The case list renders each row as the case's own read does: the list reads its rows its
own way (one join, the client's name as a column, the desk details by id, a reading plan per
list; docs/performance.md, "Rendering a page"), and its JSON must not change for it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casebook.accounts.models import DeskRole
from casebook.api.rows import reading_plan, render_row
from casebook.intake import services
from casebook.intake.api.serializers import CaseSerializer
from casebook.intake.models import Case, Topic
from tests.factories import case_in_state, member


@pytest.fixture
def varied_cases(cast) -> list[Case]:
    dispute_lead = member("subcontract", DeskRole.COORDINATOR, username="kakekomi")
    ip_lead = member("ip", DeskRole.COORDINATOR, username="chizai")
    dispute = case_in_state("active", lead=dispute_lead, by=dispute_lead, desk_code="subcontract")
    services.subcontract_details_update(case=dispute, by=dispute_lead, counterpart_company="親会社")
    dispute_without_details = case_in_state(
        "intake", lead=dispute_lead, by=dispute_lead, desk_code="subcontract"
    )
    ip_case = case_in_state("assigned", lead=ip_lead, by=ip_lead, desk_code="ip")
    services.ip_details_update(
        case=ip_case,
        by=ip_lead,
        invention_disclosed_on=timezone.localdate() - dt.timedelta(days=330),
        rights_sought=["patent"],
    )
    busy = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    services.case_update(
        case=busy,
        by=cast.coordinator,
        expected_version=None,
        topics=list(Topic.objects.values_list("code", flat=True)[:3]),
        co_counselors=[cast.coordinator],
    )
    on_hold = case_in_state("on_hold", lead=cast.counselor, by=cast.coordinator)
    closed = case_in_state("closed", lead=cast.counselor, by=cast.coordinator)
    return [dispute, dispute_without_details, ip_case, busy, on_hold, closed]


def test_every_row_of_the_case_list_is_the_case_as_read_alone(cast, api_as, varied_cases):
    api = api_as(cast.manager)
    listed = api.get("/api/v1/cases/?page_size=50").json()["results"]
    assert {row["id"] for row in listed} == {case.pk for case in varied_cases}
    for row in listed:
        assert row == api.get(f"/api/v1/cases/{row['id']}/").json()
    by_id = {row["id"]: row for row in listed}
    assert by_id[varied_cases[0].pk]["desk_details"]["counterpart_company"] == "親会社"
    assert by_id[varied_cases[2].pk]["desk_details"]["rights_sought"] == ["patent"]
    assert len(by_id[varied_cases[3].pk]["topics"]) == 3
    assert by_id[varied_cases[3].pk]["co_counselors"] == [cast.coordinator.pk]


def test_the_reading_plan_renders_a_row_as_the_serializer_does(varied_cases):
    serializer = CaseSerializer()
    plan = reading_plan(serializer)
    for case in Case.objects.filter(pk__in=[case.pk for case in varied_cases]):
        expected = CaseSerializer(case).data
        assert serializer.complete(case, render_row(case, plan)) == expected
