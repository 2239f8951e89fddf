"""Case transitions as POST actions: each returns the new state; illegal ones answer 409."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casebook.intake.models import Case, CaseTransition
from tests.factories import CaseFactory, ClientFactory


def test_a_case_goes_from_intake_to_closed_and_back_through_the_api(cast, api_as):
    coordinator, counselor = api_as(cast.coordinator), api_as(cast.counselor)
    client = ClientFactory()
    created = counselor.post(
        "/api/v1/cases/",
        {
            "desk": "yorozu",
            "client": client.pk,
            "title": "事業承継の相談",
            "intake_channel": "walk_in",
            "topics": ["succession"],
        },
        format="json",
    )
    assert created.status_code == 201
    case = created.json()
    assert case["status"] == "intake" and case["number"].startswith("yorozu-")
    assert created["Location"].endswith(f"/api/v1/cases/{case['id']}/")
    url = f"/api/v1/cases/{case['id']}"

    assigned = coordinator.post(f"{url}/assign/", {"counselor": cast.counselor.pk}, format="json")
    assert assigned.status_code == 200
    assert (assigned.json()["status"], assigned.json()["lead_counselor"]) == (
        "assigned",
        cast.counselor.pk,
    )

    logged = counselor.post(
        "/api/v1/sessions/",
        {
            "case": case["id"],
            "started_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
            "duration_minutes": 90,
            "mode": "in_person_hq",
            "summary": "後継者の候補について",
            "topics": ["succession"],
        },
        format="json",
    )
    assert logged.status_code == 201
    assert counselor.get(f"{url}/").json()["status"] == "active"

    held = counselor.post(
        f"{url}/hold/", {"reason": "決算書待ち", "resume_by": "2099-04-01"}, format="json"
    )
    assert (held.status_code, held.json()["status"]) == (200, "on_hold")
    resumed = counselor.post(f"{url}/resume/", {}, format="json")
    assert (resumed.status_code, resumed.json()["status"]) == (200, "active")
    closed = counselor.post(
        f"{url}/close/", {"reason": "resolved", "summary": "承継計画を策定"}, format="json"
    )
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    assert closed.json()["closure_reason"] == "resolved"
    reopened = coordinator.post(f"{url}/reopen/", {"reason": "追加の相談"}, format="json")
    assert (reopened.status_code, reopened.json()["status"]) == (200, "active")
    assert reopened["ETag"] == f'"{reopened.json()["version"]}"'

    actions = list(
        CaseTransition.objects.filter(case_id=case["id"]).values_list("action", flat=True)
    )
    assert actions == ["assign", "start", "hold", "resume", "close", "reopen"]


def test_an_illegal_transition_answers_409_naming_the_current_and_requested_state(cast, api_as):
    case = CaseFactory(status="intake")
    response = api_as(cast.coordinator).post(f"/api/v1/cases/{case.pk}/resume/", {}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert (body["type"], body["code"]) == ("conflict", "transition_not_allowed")
    assert (body["current"], body["requested"]) == ("intake", "resume")
    assert "intake" in body["detail"]
    assert Case.objects.get(pk=case.pk).status == "intake"


def test_closing_a_duplicate_names_a_visible_surviving_case(cast, api_as):
    client = ClientFactory()
    survivor = CaseFactory(client=client, status="active", lead_counselor=cast.counselor)
    duplicate = CaseFactory(client=client, status="intake")
    response = api_as(cast.coordinator).post(
        f"/api/v1/cases/{duplicate.pk}/close/",
        {"reason": "duplicate", "summary": "重複受付", "duplicate_of": survivor.pk},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["duplicate_of"] == survivor.pk


def test_a_possible_duplicate_client_answers_409_with_the_candidates(cast, api_as):
    api = api_as(cast.counselor)
    body = {"kind": "company", "name": "株式会社重複", "phone": "029-111-2222"}
    first = api.post("/api/v1/clients/", body, format="json")
    second = api.post("/api/v1/clients/", body, format="json")
    assert second.status_code == 409
    assert second.json()["code"] == "possible_duplicate"
    assert second.json()["candidates"][0]["id"] == first.json()["id"]
    forced = api.post("/api/v1/clients/", {**body, "allow_duplicate": True}, format="json")
    assert forced.status_code == 201


def test_a_counselor_may_take_an_intake_but_not_assign_a_colleague(cast, api_as):
    case = CaseFactory(status="intake")
    api = api_as(cast.counselor)
    refused = api.post(
        f"/api/v1/cases/{case.pk}/assign/", {"counselor": cast.coordinator.pk}, format="json"
    )
    assert refused.status_code == 403
    taken = api.post(f"/api/v1/cases/{case.pk}/assign/", {"counselor": cast.counselor.pk})
    assert taken.status_code == 200
    assert taken.json()["lead_counselor"] == cast.counselor.pk
