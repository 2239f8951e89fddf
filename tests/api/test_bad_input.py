"""Bad input for every field type: a 400 in the error shape naming the field; nothing saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casebook.intake.models import Case, Client, ConsultationSession
from tests.factories import CaseFactory, ClientFactory

GOOD_CLIENT = {"kind": "company", "name": "株式会社良品"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "corporation"),  # choice
        ("name", ""),  # required text
        ("name", "長" * 201),  # text too long
        ("corporate_number", "7000012050003"),  # check digit (service rule)
        ("corporate_number", "12345"),  # length (service rule)
        ("capital_yen", "十億"),  # integer
        ("capital_yen", -1),  # integer below the minimum
        ("employees", 2**40),  # integer beyond the column
        ("email", "not-an-email"),  # e-mail
        ("postal_code", "31-08"),  # postal code format (service rule)
        ("postal_code", "999-9999"),  # no such postal code (service rule)
        ("has_innovation_plan", "perhaps"),  # boolean
        ("industry", "ZZ"),  # blank-able choice
    ],
)
def test_a_bad_client_field_is_a_400_naming_it_and_nothing_is_saved(cast, api_as, field, value):
    response = api_as(cast.counselor).post(
        "/api/v1/clients/", {**GOOD_CLIENT, field: value}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert field in {error["field"] for error in body["errors"]}
    assert all(error["message"] for error in body["errors"])
    assert not Client.objects.exists()


def test_an_api_client_whose_place_is_not_its_postal_codes_is_a_400_naming_the_postal_code(
    cast, api_as
):
    response = api_as(cast.counselor).post(
        "/api/v1/clients/",
        {**GOOD_CLIENT, "postal_code": "310-0801", "municipality": "日立市"},
        format="json",
    )
    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"postal_code"}
    assert not Client.objects.exists()


def test_an_api_client_with_a_postal_code_alone_gets_its_place(cast, api_as):
    response = api_as(cast.counselor).post(
        "/api/v1/clients/", {**GOOD_CLIENT, "postal_code": "3050047"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["postal_code"], body["prefecture"], body["municipality"]) == (
        "305-0047",
        "茨城県",
        "つくば市",
    )


def _session(case: Case, **changes) -> dict:
    return {
        "case": case.pk,
        "started_at": (timezone.now() - dt.timedelta(hours=3)).isoformat(),
        "duration_minutes": 60,
        "mode": "onsite_visit",
        "summary": "工場を訪問",
        **changes,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("started_at", "yesterday"),  # datetime
        ("started_at", "2999-01-01T10:00:00+09:00"),  # future (service rule)
        ("duration_minutes", 0),  # integer range
        ("duration_minutes", 721),
        ("mode", "telepathy"),  # choice
        ("summary", ""),  # required text
        ("follow_up_on", "2026-13-45"),  # date
        ("topics", "finance"),  # list
        ("topics", ["no_such_topic"]),  # unknown code (service rule)
        ("counselors", ["x"]),  # list of ids
        ("counselors", [987654]),  # id of nobody
        ("office", 987654),  # reference to nothing
    ],
)
def test_a_bad_session_field_is_a_400_naming_it_and_nothing_is_saved(cast, api_as, field, value):
    case = CaseFactory(status="active", lead_counselor=cast.counselor)
    response = api_as(cast.counselor).post(
        "/api/v1/sessions/", _session(case, **{field: value}), format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in {error["field"].split(".")[0] for error in response.json()["errors"]}
    assert not ConsultationSession.objects.exists()
    assert Case.objects.get(pk=case.pk).status == "active"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("desk", "nowhere"),
        ("client", 987654),
        ("client", "first"),
        ("intake_channel", "pigeon"),
        ("priority", "urgent"),
        ("confidentiality", "restricted"),  # only the exit track restricts (service rule)
        ("opened_at", "2999-01-01T00:00:00+09:00"),
        ("title", ""),
        ("lead_counselor", 987654),
        ("intake_office", 987654),
    ],
)
def test_a_bad_case_field_is_a_400_naming_it_and_nothing_is_saved(cast, api_as, field, value):
    body = {
        "desk": "yorozu",
        "client": ClientFactory().pk,
        "title": "資金繰り",
        "intake_channel": "walk_in",
        field: value,
    }
    response = api_as(cast.counselor).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in {error["field"] for error in response.json()["errors"]}
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("hold", {"reason": "待ち", "resume_by": "someday"}, "resume_by"),
        ("hold", {"reason": "待ち", "resume_by": "2000-01-01"}, "resume_by"),
        ("hold", {"resume_by": "2099-01-01"}, "reason"),
        ("close", {"reason": "bored", "summary": "x"}, "reason"),
        ("close", {"reason": "resolved"}, "summary"),
        ("close", {"reason": "duplicate", "summary": "重複"}, "duplicate_of"),
        ("assign", {"counselor": "me"}, "counselor"),
    ],
)
def test_a_bad_action_body_is_a_400_naming_the_field_and_the_case_is_unchanged(
    cast, api_as, action, body, field
):
    case = CaseFactory(status="active", lead_counselor=cast.counselor)
    response = api_as(cast.coordinator).post(
        f"/api/v1/cases/{case.pk}/{action}/", body, format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in {error["field"] for error in response.json()["errors"]}
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.version) == ("active", case.version)


def test_a_bad_patch_saves_nothing(cast, api_as):
    client = ClientFactory(name="株式会社元")
    response = api_as(cast.counselor).patch(
        f"/api/v1/clients/{client.pk}/",
        {"name": "株式会社新", "employees": "many"},
        format="json",
        HTTP_IF_MATCH=f'"{client.version}"',
    )
    assert response.status_code == 400
    assert Client.objects.get(pk=client.pk).name == "株式会社元"


def test_a_body_that_is_not_json_is_a_400_in_the_error_shape(cast, api_as):
    response = api_as(cast.counselor).generic(
        "POST", "/api/v1/clients/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
