"""Who may own an exit plan (an active member of the exit team) and one of its milestones (the
exit team or the case's counselors), on every path: the service, the plan page, the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from casebook.accounts.models import DeskRole
from casebook.exits import policy, services
from tests.factories import api_as, exit_candidate, member, on_exit_track
from tests.referrals.test_query_budgets import web_as

pytestmark = pytest.mark.django_db


def _owner_error(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.message_dict["owner"])


def test_whoever_of_the_team_puts_a_case_on_the_track_owns_its_plan_and_others_leave_it_open(cast):
    by_team = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    by_coordinator = on_exit_track(exit_candidate(cast), by=cast.coordinator)
    assert by_team.owner == cast.exit_team
    assert by_team.milestones.filter(owner=cast.exit_team).count() == by_team.milestones.count()
    assert by_coordinator.owner is None


def test_a_plan_named_an_owner_outside_the_team_is_refused_naming_the_field(cast):
    case = exit_candidate(cast)
    with pytest.raises(ValidationError) as refused:
        services.exit_track_put_on(
            case=case, by=cast.exit_team, path="turnaround", reason="再生", owner=cast.counselor
        )
    assert _owner_error(refused.value) == str(policy.PLAN_OWNER_RULE)
    case.refresh_from_db()
    assert not case.on_exit_track and case.confidentiality != "restricted"


def test_a_plans_owner_is_changed_only_to_an_active_member_of_the_team(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    teammate = member("yorozu", DeskRole.EXIT_TEAM, username="teammate")
    for outsider in (cast.counselor, cast.manager, cast.colleague):
        with pytest.raises(ValidationError) as refused:
            services.exit_plan_update(plan=plan, by=cast.exit_team, owner=outsider)
        assert _owner_error(refused.value) == str(policy.PLAN_OWNER_RULE)
    teammate.is_active = False
    teammate.save(update_fields=["is_active"])
    with pytest.raises(ValidationError):
        services.exit_plan_update(plan=plan, by=cast.exit_team, owner=teammate)
    teammate.is_active = True
    teammate.save(update_fields=["is_active"])

    saved = services.exit_plan_update(plan=plan, by=cast.exit_team, owner=teammate)

    assert saved.owner == teammate
    # Leaving the owner as it is stays possible after they left the team.
    teammate.memberships.update(active=False)
    services.exit_plan_update(plan=saved, by=cast.exit_team, owner=teammate, stage="planning")


def test_a_milestone_is_owned_by_the_team_or_the_cases_counselors_only(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    milestone = plan.milestones.first()
    with pytest.raises(ValidationError) as refused:
        services.milestone_update(milestone=milestone, by=cast.exit_team, owner=cast.colleague)
    assert _owner_error(refused.value) == str(policy.MILESTONE_OWNER_RULE)
    milestone.refresh_from_db()
    assert milestone.owner == cast.exit_team

    saved = services.milestone_update(milestone=milestone, by=cast.exit_team, owner=cast.counselor)

    assert saved.owner == cast.counselor


def test_the_plan_page_offers_the_team_only_and_refuses_anyone_else_on_the_owner_field(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    web = web_as(cast.exit_team)
    url = reverse("exits:plan", args=[plan.pk])
    form = web.get(url).context["form"]
    assert list(form.fields["owner"].queryset) == [cast.exit_team]

    refused = web.post(url, {"stage": "planning", "owner": cast.counselor.pk, "version": 1})

    assert refused.status_code == 400
    assert "owner" in refused.context["form"].errors
    plan.refresh_from_db()
    assert plan.owner == cast.exit_team and plan.stage == "diagnosis"


def test_the_milestone_form_offers_the_team_and_the_cases_counselors(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    milestone = plan.milestones.first()
    page = web_as(cast.exit_team).get(reverse("exits:milestone_edit", args=[milestone.pk]))
    offered = set(page.context["form"].fields["owner"].queryset)
    assert offered == {cast.exit_team, cast.counselor}


def test_the_api_refuses_an_owner_outside_the_team_as_a_field_error(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    api = api_as(cast.exit_team)
    url = f"/api/v1/exit-plans/{plan.pk}/"
    etag = api.get(url)["ETag"]

    refused = api.patch(url, {"owner": cast.colleague.pk}, format="json", HTTP_IF_MATCH=etag)

    assert refused.status_code == 400
    assert [error["field"] for error in refused.json()["errors"]] == ["owner"]
    plan.refresh_from_db()
    assert plan.owner == cast.exit_team
    milestone = plan.milestones.first()
    m_url = f"/api/v1/exit-milestones/{milestone.pk}/"
    m_etag = api.get(m_url)["ETag"]
    refused = api.patch(m_url, {"owner": cast.colleague.pk}, format="json", HTTP_IF_MATCH=m_etag)
    assert refused.status_code == 400
    assert [error["field"] for error in refused.json()["errors"]] == ["owner"]
    done = api.patch(m_url, {"owner": cast.counselor.pk}, format="json", HTTP_IF_MATCH=m_etag)
    assert done.status_code == 200 and done.json()["owner"] == cast.counselor.pk
