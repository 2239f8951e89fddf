"""Query budgets of every exit-track screen and endpoint (docs/architecture.md, "Query
budgets"): the lists cost the same for 3 plans and 12."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casebook.exits.models import ExitPlan, Milestone
from tests.factories import SessionFactory, api_as, exit_candidate, on_exit_track
from tests.factories import count_queries as count
from tests.referrals.test_query_budgets import web_as

pytestmark = pytest.mark.django_db

# The most queries each may cost (measured: docs/architecture.md, "Query budgets"). A page
# pays the session and the login (2), the memberships (1) and the nav's unread count (1), and
# the access-log row of the restricted case it shows (1); an API call the token (1) and the
# memberships (1). The dashboard: the grid, the outcomes, three bounded lists and a page of
# plans (one query: the common pager reads one row more instead of counting). The case page
# of a case on the track: the core case page (17 at most, its outcomes and attachments
# panels included) plus its plan, milestones and decisions.
DASHBOARD_BUDGET = 13
PLAN_PAGE_BUDGET = 11
CASE_PAGE_BUDGET = 21
LIST_API_BUDGET = 5
DETAIL_API_BUDGET = 5
PATCH_BUDGET = 16
COMPLETE_BUDGET = 11
PUT_ON_BUDGET = 25
ACCESS_LOG_BUDGET = 6


def plans(cast, how_many: int) -> list:
    made = []
    for n in range(how_many):
        case = exit_candidate(cast, title=f"廃業準備{n}")
        SessionFactory(case=case)
        plan = on_exit_track(case, by=cast.exit_team, path=("orderly_closure", "turnaround")[n % 2])
        Milestone.objects.filter(plan=plan, code="initial_diagnosis").update(
            due_on=timezone.localdate() - dt.timedelta(days=n + 1)
        )
        made.append(plan)
    return made


def same_for_few_and_many(cast, send, *, budget: int) -> int:
    plans(cast, 3)
    few, response = count(send)
    assert response.status_code == 200, response.content[:500]
    plans(cast, 9)
    many, response = count(send)
    assert response.status_code == 200
    assert few == many, f"{few} queries with 3 plans, {many} with 12"
    assert many <= budget, f"{many} queries, budget {budget}"
    return many


@pytest.mark.parametrize("who", ["exit_team", "manager"])
def test_the_dashboard_costs_the_same_for_few_and_many(cast, who):
    web = web_as(getattr(cast, who))
    same_for_few_and_many(cast, lambda: web.get("/exits/"), budget=DASHBOARD_BUDGET)


def test_the_dashboards_live_refresh_costs_the_same_for_few_and_many(cast):
    """The body the live dashboard re-reads: the dashboard without the nav's unread count."""
    web = web_as(cast.exit_team)
    same_for_few_and_many(cast, lambda: web.get("/exits/live/"), budget=DASHBOARD_BUDGET)


def test_the_plan_list_api_costs_the_same_for_few_and_many(cast):
    api = api_as(cast.exit_team)
    same_for_few_and_many(cast, lambda: api.get("/api/v1/exit-plans/"), budget=LIST_API_BUDGET)


def test_the_milestone_list_api_costs_the_same_for_few_and_many(cast):
    api = api_as(cast.exit_team)
    same_for_few_and_many(cast, lambda: api.get("/api/v1/exit-milestones/"), budget=LIST_API_BUDGET)


@pytest.mark.parametrize("who", ["exit_team", "counselor", "manager"])
def test_the_plan_page_stays_within_its_budget(cast, who, django_assert_max_num_queries):
    plan = plans(cast, 3)[0]
    web = web_as(getattr(cast, who))
    with django_assert_max_num_queries(PLAN_PAGE_BUDGET):
        assert web.get(f"/exits/plans/{plan.pk}/").status_code == 200


@pytest.mark.parametrize("who", ["exit_team", "counselor"])
def test_the_case_page_of_a_case_on_the_track_stays_within_its_budget(
    cast, who, django_assert_max_num_queries
):
    plan = plans(cast, 3)[0]
    web = web_as(getattr(cast, who))
    with django_assert_max_num_queries(CASE_PAGE_BUDGET):
        assert web.get(f"/cases/{plan.case_id}/").status_code == 200


def test_the_plan_detail_api_stays_within_its_budget(cast, django_assert_max_num_queries):
    plan = plans(cast, 3)[0]
    api = api_as(cast.exit_team)
    with django_assert_max_num_queries(DETAIL_API_BUDGET):
        assert api.get(f"/api/v1/exit-plans/{plan.pk}/").status_code == 200


def test_a_plan_patch_stays_within_its_budget(cast, django_assert_max_num_queries):
    plan = plans(cast, 3)[0]
    api = api_as(cast.exit_team)
    etag = api.get(f"/api/v1/exit-plans/{plan.pk}/")["ETag"]
    with django_assert_max_num_queries(PATCH_BUDGET):
        response = api.patch(
            f"/api/v1/exit-plans/{plan.pk}/",
            {"stage": "planning", "dissolution_resolved_on": "2026-06-03"},
            format="json",
            HTTP_IF_MATCH=etag,
        )
    assert response.status_code == 200


def test_completing_a_milestone_stays_within_its_budget(cast, django_assert_max_num_queries):
    milestone = plans(cast, 3)[0].milestones.first()
    api = api_as(cast.exit_team)
    with django_assert_max_num_queries(COMPLETE_BUDGET):
        response = api.post(f"/api/v1/exit-milestones/{milestone.pk}/complete/", {}, format="json")
    assert response.status_code == 200


def test_putting_a_case_on_the_track_stays_within_its_budget(cast, django_assert_max_num_queries):
    plans(cast, 3)
    case = exit_candidate(cast)
    api = api_as(cast.exit_team)
    with django_assert_max_num_queries(PUT_ON_BUDGET):
        response = api.post(
            "/api/v1/exit-plans/",
            {"case": case.pk, "path": "orderly_closure", "reason": "廃業の意向"},
            format="json",
        )
    assert response.status_code == 201


@pytest.mark.parametrize("who", ["manager", "auditor"])
def test_the_access_log_costs_the_same_for_few_and_many(cast, who):
    reader = web_as(cast.exit_team)

    def read_them_all():
        for plan in ExitPlan.objects.all():
            reader.get(f"/exits/plans/{plan.pk}/")

    web = web_as(getattr(cast, who))

    def send():
        return web.get("/exits/access-log/")

    plans(cast, 3)
    read_them_all()
    few, response = count(send)
    assert response.status_code == 200
    plans(cast, 9)
    read_them_all()
    many, _ = count(send)
    assert few == many <= ACCESS_LOG_BUDGET, (few, many)
