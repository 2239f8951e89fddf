from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from rest_framework.test import APIClient

from casebook.experts import services
from casebook.experts.models import Dispatch
from tests.factories import DispatchFactory, SubQuotaFactory, UserFactory


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _create(cast, setting, **extra):
    body = {
        "case": setting.case.pk,
        "program": setting.program.pk,
        "expert": setting.expert.pk,
        "purpose": "工程改善",
        "requested_days": "2.5",
        **extra,
    }
    return _api(cast.counselor).post("/api/v1/dispatches/", body, format="json")


def test_a_dispatch_is_created_submitted_and_approved_through_the_api(cast, setting):
    created = _create(cast, setting)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and body["requested_days"] == 2.5
    assert set(body) >= {
        "id",
        "case",
        "program",
        "sub_quota",
        "expert",
        "purpose",
        "requested_days",
        "approved_days",
        "used_days",
        "status",
        "copay_yen",
        "version",
    }
    pk = body["id"]
    submitted = _api(cast.counselor).post(f"/api/v1/dispatches/{pk}/submit/", {}, format="json")
    assert submitted.json()["status"] == "requested"
    approved = _api(setting.dispatch_coordinator).post(
        f"/api/v1/dispatches/{pk}/approve/", {"days": "2"}, format="json"
    )
    assert approved.status_code == 200
    assert approved.json()["approved_days"] == 2.0 and approved.json()["status"] == "approved"
    assert approved["ETag"] == f'"{approved.json()["version"]}"'


def test_a_create_replayed_with_the_same_idempotency_key_creates_one_dispatch(cast, setting):
    client = _api(cast.counselor)
    body = {
        "case": setting.case.pk,
        "program": setting.program.pk,
        "expert": setting.expert.pk,
        "purpose": "工程改善",
        "requested_days": "1",
    }
    first = client.post("/api/v1/dispatches/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/dispatches/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Dispatch.objects.count() == 1


def test_days_off_the_half_day_grid_are_a_field_error_in_the_error_shape(cast, setting):
    response = _create(cast, setting, requested_days="0.7")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert any(
        e["field"] == "requested_days" and e["code"] == "half_day_steps" for e in body["errors"]
    )
    assert not Dispatch.objects.exists()


def test_approval_over_the_quota_answers_409_naming_the_quota(cast, setting, requested):
    setting.program.quota_days = Decimal("1.0")
    setting.program.save(update_fields=["quota_days"])
    response = _api(setting.dispatch_coordinator).post(
        f"/api/v1/dispatches/{requested.pk}/approve/", {}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "quota_exceeded" and setting.program.name in body["detail"]


def test_a_stale_if_match_on_an_action_answers_412(cast, setting, requested):
    response = _api(setting.dispatch_coordinator).post(
        f"/api/v1/dispatches/{requested.pk}/approve/",
        {},
        format="json",
        HTTP_IF_MATCH=f'"{requested.version - 1}"',
    )
    assert response.status_code == 412
    requested.refresh_from_db()
    assert requested.status == "requested"


def test_the_conflict_override_action_needs_a_manager(cast, setting):
    services.conflict_declare(
        expert=setting.expert,
        by=cast.manager,
        company_name=setting.case.client.name,
        relation="advisor",
    )
    pk = _create(cast, setting).json()["id"]
    refused = _api(cast.counselor).post(f"/api/v1/dispatches/{pk}/submit/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "conflict_of_interest"
    forbidden = _api(setting.dispatch_coordinator).post(
        f"/api/v1/dispatches/{pk}/override-conflict/", {"reason": "適任者不在"}, format="json"
    )
    assert forbidden.status_code == 403
    allowed = _api(cast.manager).post(
        f"/api/v1/dispatches/{pk}/override-conflict/", {"reason": "適任者不在"}, format="json"
    )
    assert allowed.status_code == 200
    assert allowed.json()["conflict_override_reason"] == "適任者不在"


def test_visits_are_scheduled_and_reported_under_the_dispatch(cast, setting, requested):
    login = UserFactory(username="expert.api")
    setting.expert.user = login
    setting.expert.save(update_fields=["user"])
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    url = f"/api/v1/dispatches/{requested.pk}/visits/"
    today = timezone.localdate().isoformat()
    created = _api(login).post(url, {"date": today, "day_fraction": "1.0"}, format="json")
    assert created.status_code == 201, created.json()
    visit = created.json()
    assert set(visit) >= {"id", "date", "day_fraction", "hours", "place", "report"}
    assert visit["day_fraction"] == 1.0
    again = _api(login).post(url, {"date": today, "day_fraction": "0.5"}, format="json")
    assert again.status_code == 400
    missing = _api(login).patch(f"{url}{visit['id']}/", {"report": "確認"}, format="json")
    assert missing.status_code == 428
    reported = _api(login).patch(
        f"{url}{visit['id']}/",
        {"report": "工程を確認", "hours": "6"},
        format="json",
        HTTP_IF_MATCH=f'"{visit["version"]}"',
    )
    assert reported.status_code == 200 and reported.json()["report"] == "工程を確認"
    assert _api(login).get(url).json()[0]["report_filed_at"]


def test_an_expert_login_lists_only_their_own_dispatches(cast, setting, requested):
    login = UserFactory(username="expert.list")
    setting.expert.user = login
    setting.expert.save(update_fields=["user"])
    other = DispatchFactory(program=setting.program)
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    listed = _api(login).get("/api/v1/dispatches/").json()
    assert [row["id"] for row in listed["results"]] == [requested.pk]
    assert _api(login).get(f"/api/v1/dispatches/{other.pk}/").status_code == 404
    assert _api(login).get(f"/api/v1/dispatches/{other.pk}/visits/").status_code == 404


def test_programs_show_their_quota_use_and_sub_quotas(cast, setting, requested):
    SubQuotaFactory(program=setting.program, code="covid", quota_days=Decimal("40"))
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    body = _api(cast.counselor).get(f"/api/v1/programs/{setting.program.pk}/").json()
    assert body["desk"] == "dispatch"
    assert body["quota_days"] == 800.0 and body["reserved_days"] == 3.0
    assert body["remaining_days"] == 797.0
    assert body["sub_quotas"][0] == {
        "code": "covid",
        "name": body["sub_quotas"][0]["name"],
        "quota_days": 40.0,
        "free": True,
        "reserved_days": 0.0,
        "used_days": 0.0,
        "remaining_days": 40.0,
    }


def test_the_expert_roster_filters_and_conflicts_are_listed(cast, setting):
    services.conflict_declare(
        expert=setting.expert,
        by=cast.manager,
        company_name="株式会社関係",
        relation="employer",
    )
    client = _api(cast.counselor)
    rows = client.get("/api/v1/experts/", {"specialty": "production_technology"}).json()
    assert [row["name"] for row in rows["results"]] == [setting.expert.name]
    conflicts = client.get("/api/v1/conflicts/", {"expert": setting.expert.pk}).json()
    assert conflicts["results"][0]["company_name"] == "株式会社関係"
    assert _api(cast.outsider).get("/api/v1/experts/").json()["results"] == []
