"""The exit track's screens and API: putting a case on the track from its page, the plan page,
the milestones, the dashboard; `exit-plans` and `exit-milestones` with If-Match."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from casebook.exits.models import ExitPlan, Milestone
from casebook.intake.models import AccessLog
from tests.factories import api_as, exit_candidate, on_exit_track
from tests.referrals.test_query_budgets import web_as

pytestmark = pytest.mark.django_db


def test_the_case_page_offers_the_track_to_a_yorozu_coordinator_and_not_to_its_counselor(cast):
    case = exit_candidate(cast)
    offered = reverse("exits:put_on", args=[case.pk])
    assert offered in web_as(cast.coordinator).get(f"/cases/{case.pk}/").content.decode()
    assert offered not in web_as(cast.counselor).get(f"/cases/{case.pk}/").content.decode()
    assert web_as(cast.counselor).get(offered).status_code == 403


def test_a_coordinator_puts_a_case_on_the_track_from_its_page_with_a_reason(cast):
    case = exit_candidate(cast)
    web = web_as(cast.coordinator)
    url = reverse("exits:put_on", args=[case.pk])

    refused = web.post(url, {"path": "orderly_closure", "reason": "", "version": case.version})
    assert refused.status_code == 400
    assert not ExitPlan.objects.exists()

    done = web.post(
        url, {"path": "orderly_closure", "reason": "廃業の意向", "version": case.version}
    )

    plan = ExitPlan.objects.get(case=case)
    assert done.status_code == 302 and done["Location"] == reverse("exits:plan", args=[plan.pk])
    # The coordinator is no member of the team: the case and its plan are out of sight now.
    assert web.get(done["Location"]).status_code == 404
    assert web.get(f"/cases/{case.pk}/").status_code == 404


def test_the_plan_page_shows_the_milestones_and_saves_the_plan(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    web = web_as(cast.exit_team)
    url = reverse("exits:plan", args=[plan.pk])
    page = web.get(url)
    assert page.status_code == 200
    assert "解散登記" in page.content.decode()
    assert AccessLog.objects.filter(user=cast.exit_team, case=plan.case, via="exit_track").exists()

    saved = web.post(
        url,
        {
            "stage": "planning",
            "risk_flags": ["excess_debt", "personal_guarantee"],
            "owner": cast.exit_team.pk,
            "dissolution_resolved_on": "2026-06-03",
            "version": plan.version,
        },
    )

    assert saved.status_code == 302
    plan.refresh_from_db()
    assert plan.stage == "planning" and plan.risk_flags == ["excess_debt", "personal_guarantee"]
    registration = plan.milestones.get(code="dissolution_registration")
    assert registration.legal_deadline == dt.date(2026, 6, 17)
    stale = web.post(url, {"stage": "execution", "version": plan.version - 1})
    assert stale.status_code == 409


def test_a_milestone_is_done_and_opened_again_from_the_plan_page(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    milestone = plan.milestones.get(code="initial_diagnosis")
    web = web_as(cast.counselor)
    done = web.post(
        reverse("exits:milestone_complete", args=[milestone.pk]), {"version": milestone.version}
    )
    assert done.status_code == 302
    milestone.refresh_from_db()
    assert milestone.completed_on == timezone.localdate()
    web.post(reverse("exits:milestone_reopen", args=[milestone.pk]), {"version": milestone.version})
    milestone.refresh_from_db()
    assert milestone.completed_on is None


def test_the_dashboard_is_the_teams_and_lists_overdue_milestones_and_breaches(cast):
    plan = on_exit_track(exit_candidate(cast, title="廃業準備A"), by=cast.exit_team)
    Milestone.objects.filter(plan=plan, code="initial_diagnosis").update(
        due_on=timezone.localdate() - dt.timedelta(days=3)
    )
    ExitPlan.objects.filter(pk=plan.pk).update(deadline_breaches=1)
    page = web_as(cast.exit_team).get(reverse("exits:dashboard"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "初期診断" in body and plan.case.number in body
    assert web_as(cast.coordinator).get(reverse("exits:dashboard")).status_code == 403
    assert web_as(cast.manager).get(reverse("exits:dashboard")).status_code == 200
    # The live refresh re-reads the body alone, for the same readers.
    assert 'id="exit-dashboard"' in body and reverse("exits:dashboard_live") in body
    live = web_as(cast.exit_team).get(reverse("exits:dashboard_live")).content.decode()
    assert plan.case.number in live and "<html" not in live
    assert web_as(cast.coordinator).get(reverse("exits:dashboard_live")).status_code == 403


def test_the_api_puts_a_case_on_the_track_and_answers_the_plan_with_its_milestones(cast):
    case = exit_candidate(cast)
    api = api_as(cast.exit_team)

    response = api.post(
        "/api/v1/exit-plans/",
        {"case": case.pk, "path": "succession_third_party", "reason": "M&Aを検討"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {"id", "case", "path", "stage", "risk_flags", "owner", "outcome", "milestones"} <= set(
        body
    )
    assert body["case"] == case.pk and body["path"] == "succession_third_party"
    assert {"id", "code", "name", "owner", "due_on", "legal_deadline", "completed_on"} <= set(
        body["milestones"][0]
    )
    assert response["ETag"]
    again = api.post(
        "/api/v1/exit-plans/",
        {"case": case.pk, "path": "turnaround", "reason": "x"},
        format="json",
    )
    assert again.status_code == 409


def test_the_api_refuses_a_case_the_caller_may_not_see_as_a_field_error(cast):
    case = exit_candidate(cast)
    response = api_as(cast.colleague).post(
        "/api/v1/exit-plans/", {"case": case.pk, "path": "turnaround", "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "case" in str(response.json())


def test_plan_updates_need_if_match_and_a_stale_one_is_refused(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    api = api_as(cast.exit_team)
    url = f"/api/v1/exit-plans/{plan.pk}/"
    etag = api.get(url)["ETag"]

    assert api.patch(url, {"stage": "planning"}, format="json").status_code == 428
    first = api.patch(url, {"stage": "planning"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200 and first.json()["stage"] == "planning"
    second = api.patch(url, {"stage": "execution"}, format="json", HTTP_IF_MATCH=etag)
    assert second.status_code == 412


def test_milestones_are_completed_and_reopened_through_the_api(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    milestone = plan.milestones.first()
    api = api_as(cast.exit_team)
    done = api.post(f"/api/v1/exit-milestones/{milestone.pk}/complete/", {}, format="json")
    assert done.status_code == 200 and done.json()["completed_on"] == str(timezone.localdate())
    stale = api.post(
        f"/api/v1/exit-milestones/{milestone.pk}/reopen/",
        {},
        format="json",
        HTTP_IF_MATCH=f'"{milestone.version}"',
    )
    assert stale.status_code == 412
    reopened = api.post(f"/api/v1/exit-milestones/{milestone.pk}/reopen/", {}, format="json")
    assert reopened.status_code == 200 and reopened.json()["completed_on"] is None


def test_taking_a_case_off_the_track_through_the_api(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    api = api_as(cast.manager)
    response = api.post(
        f"/api/v1/exit-plans/{plan.pk}/take-off/", {"reason": "事業継続"}, format="json"
    )
    assert response.status_code == 200 and response.json()["on_track"] is False
    refused = api.post(f"/api/v1/exit-plans/{plan.pk}/take-off/", {"reason": "x"}, format="json")
    assert refused.status_code == 409
