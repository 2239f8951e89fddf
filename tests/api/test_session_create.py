"""POST /api/v1/sessions/: the case is read through the getter in the statement that locks it
(docs/performance.md, "Session create and dispatch approve"); the answer, the refusals and the
access log stay what they were."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casebook.intake.models import AccessLog, ConsultationSession
from tests.factories import CaseFactory, desk


def _body(case, **overrides):
    body = {
        "case": case.pk,
        "started_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "duration_minutes": 60,
        "mode": "phone",
        "summary": "電話で資金繰りの続きを相談",
    }
    body.update(overrides)
    return body


@pytest.fixture
def case(cast):
    return CaseFactory(desk=desk("yorozu"), status="active", lead_counselor=cast.counselor)


def test_the_created_session_answers_field_by_field_as_it_reads_back(cast, case, api_as):
    api = api_as(cast.counselor)
    created = api.post(
        "/api/v1/sessions/",
        _body(case, counselors=[cast.counselor.pk, cast.coordinator.pk], topics=[]),
        format="json",
    )
    assert created.status_code == 201, created.content
    read = api.get(f"/api/v1/sessions/{created.json()['id']}/")
    assert read.status_code == 200
    assert created.json().keys() == read.json().keys()
    for name, value in read.json().items():
        assert created.json()[name] == value, name
    assert created.json()["counselors"] == [cast.counselor.pk, cast.coordinator.pk]
    assert created["ETag"] == read["ETag"]


def test_a_session_on_a_case_the_user_may_not_see_answers_404_and_saves_nothing(cast, case, api_as):
    response = api_as(cast.colleague).post("/api/v1/sessions/", _body(case), format="json")
    assert (response.status_code, response.json()["type"]) == (404, "not_found")
    assert not ConsultationSession.objects.filter(case=case).exists()


def test_a_stranger_named_as_counselor_is_refused_by_id(cast, case, api_as):
    response = api_as(cast.counselor).post(
        "/api/v1/sessions/",
        _body(case, counselors=[cast.counselor.pk, cast.outsider.pk]),
        format="json",
    )
    assert response.status_code == 400
    assert str(cast.outsider.pk) in str(response.json())
    assert not ConsultationSession.objects.filter(case=case).exists()


def test_an_inactive_login_named_as_counselor_is_an_unknown_reference(cast, case, api_as):
    cast.coordinator.is_active = False
    cast.coordinator.save(update_fields=["is_active"])
    response = api_as(cast.counselor).post(
        "/api/v1/sessions/", _body(case, counselors=[cast.coordinator.pk]), format="json"
    )
    assert response.status_code == 400
    assert "counselors" in str(response.json())


@pytest.fixture
def restricted(cast):
    return CaseFactory(
        desk=desk("yorozu"),
        status="active",
        confidentiality="restricted",
        on_exit_track=True,
        lead_counselor=cast.exit_team,
    )


def test_a_session_logged_on_a_restricted_case_logs_the_read_once(cast, restricted, api_as):
    response = api_as(cast.exit_team).post("/api/v1/sessions/", _body(restricted), format="json")
    assert response.status_code == 201, response.content
    logged = AccessLog.objects.filter(user=cast.exit_team, case=restricted)
    assert list(logged.values_list("via", flat=True)) == ["api"]


def test_a_refused_session_on_a_restricted_case_still_logs_the_read(cast, restricted, api_as):
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    response = api_as(cast.exit_team).post(
        "/api/v1/sessions/", _body(restricted, started_at=future), format="json"
    )
    assert response.status_code == 400
    assert "started_at" in str(response.json())
    logged = AccessLog.objects.filter(user=cast.exit_team, case=restricted)
    assert list(logged.values_list("via", flat=True)) == ["api"]


def test_a_restricted_case_the_user_may_not_see_logs_nothing(cast, restricted, api_as):
    response = api_as(cast.counselor).post("/api/v1/sessions/", _body(restricted), format="json")
    assert response.status_code == 404
    assert not AccessLog.objects.filter(case=restricted).exists()
