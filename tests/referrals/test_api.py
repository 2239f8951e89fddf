from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from casebook.referrals.models import Referral
from tests.factories import PartnerFactory, refer_external, refer_internal


@pytest.fixture
def api_as():
    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


DESIGN_FIELDS = {
    "id",
    "kind",
    "from_case",
    "to_desk",
    "to_partner",
    "created_case",
    "status",
    "handoff_note",
    "share_full_file",
    "due_on",
    "version",
}


def test_an_internal_referral_is_created_with_the_design_fields(api_as, cast, yorozu_case):
    response = api_as(cast.counselor).post(
        "/api/v1/referrals/",
        {
            "kind": "internal",
            "from_case": yorozu_case.pk,
            "to_desk": "ip",
            "handoff_note": "商標の相談です",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body.keys() >= DESIGN_FIELDS
    assert body["to_desk"] == "ip"
    assert body["status"] == "pending"
    assert body["created_case"] is not None
    assert response["ETag"] == f'"{body["version"]}"'


def test_a_create_replayed_with_the_same_idempotency_key_creates_once(api_as, cast, yorozu_case):
    api = api_as(cast.counselor)
    payload = {
        "kind": "internal",
        "from_case": yorozu_case.pk,
        "to_desk": "ip",
        "handoff_note": "商標の相談です",
    }

    first = api.post("/api/v1/referrals/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post("/api/v1/referrals/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Referral.objects.count() == 1


def test_field_errors_come_in_the_api_error_shape(api_as, cast, yorozu_case):
    response = api_as(cast.counselor).post(
        "/api/v1/referrals/",
        {"kind": "internal", "from_case": yorozu_case.pk, "to_desk": "ip", "handoff_note": ""},
        format="json",
    )

    assert response.status_code == 400
    assert "handoff_note" in {e["field"] for e in response.json()["errors"]}


def test_a_case_the_caller_cannot_see_is_no_such_object(api_as, cast, yorozu_case):
    response = api_as(cast.colleague).post(
        "/api/v1/referrals/",
        {"kind": "internal", "from_case": yorozu_case.pk, "to_desk": "trade", "handoff_note": "x"},
        format="json",
    )

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"from_case"}


def test_the_receiving_coordinator_accepts_through_the_api(
    api_as, cast, yorozu_case, ip_coordinator
):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    response = api_as(ip_coordinator).post(
        f"/api/v1/referrals/{referral.pk}/accept/",
        {"lead_counselor": cast.colleague.pk},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"


def test_accept_by_a_counselor_is_403_and_by_an_outsider_404(api_as, cast, yorozu_case):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    assert (
        api_as(cast.colleague).post(f"/api/v1/referrals/{referral.pk}/accept/").status_code == 403
    )
    assert api_as(cast.outsider).post(f"/api/v1/referrals/{referral.pk}/accept/").status_code == 404


def test_decline_needs_a_reason_and_a_second_answer_is_409(
    api_as, cast, yorozu_case, ip_coordinator
):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    api = api_as(ip_coordinator)
    url = f"/api/v1/referrals/{referral.pk}/decline/"

    assert api.post(url, {"reason": ""}, format="json").status_code == 400
    assert api.post(url, {"reason": "対象外"}, format="json").json()["status"] == "declined"
    conflict = api.post(url, {"reason": "対象外"}, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "transition_not_allowed"


def test_a_stale_if_match_on_an_action_is_412(api_as, cast, yorozu_case, ip_coordinator):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    response = api_as(ip_coordinator).post(
        f"/api/v1/referrals/{referral.pk}/accept/", {}, format="json", HTTP_IF_MATCH='"99"'
    )

    assert response.status_code == 412


def test_an_external_referral_is_acknowledged_and_its_outcome_reported(api_as, cast, yorozu_case):
    partner = PartnerFactory(name="ジェトロ茨城")
    api = api_as(cast.counselor)
    created = api.post(
        "/api/v1/referrals/",
        {
            "kind": "external",
            "from_case": yorozu_case.pk,
            "to_partner": partner.pk,
            "handoff_note": "輸出の相談",
        },
        format="json",
    ).json()
    assert created["status"] == "sent"

    acknowledged = api.post(
        f"/api/v1/referrals/{created['id']}/acknowledge/",
        {"partner_contact": "担当"},
        format="json",
    )
    assert acknowledged.json()["status"] == "acknowledged"
    reported = api.post(
        f"/api/v1/referrals/{created['id']}/report-outcome/", {"outcome": "商談成立"}, format="json"
    )
    assert reported.status_code == 200
    assert reported.json()["status"] == "outcome_reported"


def test_the_checklist_is_edited_with_if_match(api_as, cast, yorozu_case):
    referral = refer_external(yorozu_case, PartnerFactory(), by=cast.counselor)
    api = api_as(cast.counselor)
    url = f"/api/v1/referrals/{referral.pk}/"

    assert api.patch(url, {"documents_passed": "決算書"}, format="json").status_code == 428
    response = api.patch(
        url,
        {"documents_passed": "決算書", "consent_obtained": True},
        format="json",
        HTTP_IF_MATCH=f'"{referral.version}"',
    )
    assert response.status_code == 200, response.content
    assert response.json()["checklist"]["documents_passed"] == "決算書"
    assert response.json()["checklist"]["consent_obtained"] is True


def test_the_list_filters_by_desk_and_hides_what_the_caller_may_not_see(api_as, cast, yorozu_case):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    mine = api_as(cast.colleague).get("/api/v1/referrals/?to_desk=ip&open=true").json()
    assert [r["id"] for r in mine["results"]] == [referral.pk]
    assert mine["results"][0]["handoff"]["full_file"] is False
    assert api_as(cast.outsider).get("/api/v1/referrals/").json()["results"] == []


def test_partners_are_listed_for_staff(api_as, cast):
    PartnerFactory(name="茨城県中小企業活性化協議会", kind="revitalisation_council")

    response = api_as(cast.counselor).get("/api/v1/partners/?kind=revitalisation_council")

    assert [p["name"] for p in response.json()["results"]] == ["茨城県中小企業活性化協議会"]
