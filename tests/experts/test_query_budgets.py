"""Query budgets of every experts screen and endpoint (docs/architecture.md, "Query budgets").

Each is measured as its users send it (a logged-in browser; an integration with a token) on
a program with many dispatches in every state; the lists must cost the same for a few rows
and for many.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from casebook.experts import services
from casebook.experts.models import Dispatch, DispatchVisit, Expert
from tests import factories
from tests.factories import CaseFactory, ExpertFactory, UserFactory, api_as, count_queries

# The most queries each may cost. A page pays the session and the login (2), the memberships
# (1), the expert record of the login (1) and the nav's unread count (1); an API call the
# token (1), the memberships (1) and the expert record (1); then the rows, and for a write its
# locks, checks, save, history row and the case it moves.
PAGE_BUDGET = 12
# The request form also lists the programs (its choices and its ranking tool) and the experts,
# and ranks the experts for the case (its topics, conflicts, recent visits, days left).
REQUEST_FORM_BUDGET = 17
LIST_API_BUDGET = 5
WEB_APPROVE_BUDGET = 25
API_APPROVE_BUDGET = 24
API_CREATE_BUDGET = 32


@dataclass
class Busy:
    expert: Expert  # the expert of every dispatch made, with a login
    dispatches: list[Dispatch]
    visit: DispatchVisit  # a visit held today, its report not filed


def dispatch_many(cast, setting, how_many: int) -> list[Dispatch]:
    """`how_many` active yorozu cases, each with a dispatch of its own expert: a third
    requested, a third approved, a third scheduled (a visit today)."""
    made = []
    for n in range(how_many):
        case = CaseFactory(status="active", lead_counselor=cast.counselor)
        dispatch = services.dispatch_request(
            case=case,
            program=setting.program,
            expert=ExpertFactory(),
            purpose="工程改善の指導",
            requested_days="2",
            by=cast.counselor,
            submit=True,
        )
        if n % 3:
            dispatch = services.dispatch_approve(dispatch=dispatch, by=setting.dispatch_coordinator)
        if n % 3 == 2:
            services.visit_schedule(
                dispatch=dispatch,
                by=setting.dispatch_coordinator,
                date=timezone.localdate(),
                day_fraction="1.0",
            )
        made.append(dispatch)
    return made


@pytest.fixture
def busy(cast, setting) -> Busy:
    setting.expert.user = UserFactory(username="expert_login")
    setting.expert.save(update_fields=["user"])
    dispatches = []
    for _n in range(3):
        case = CaseFactory(status="active", lead_counselor=cast.counselor)
        dispatch = services.dispatch_request(
            case=case,
            program=setting.program,
            expert=setting.expert,
            purpose="販路開拓の助言",
            requested_days="2",
            by=cast.counselor,
            submit=True,
        )
        dispatches.append(dispatch)
    services.dispatch_approve(dispatch=dispatches[0], by=setting.dispatch_coordinator)
    visit = services.visit_schedule(
        dispatch=dispatches[0],
        by=setting.dispatch_coordinator,
        date=timezone.localdate(),
        day_fraction="1.0",
    )
    return Busy(expert=setting.expert, dispatches=dispatches, visit=visit)


def web_as(user) -> WebClient:
    return factories.web_as(user, first_visit="/dispatch/quota/")


def same_for_few_and_many(cast, setting, send, *, budget: int) -> int:
    """The queries of `send()` with 3 more dispatches and with 12: the same, within budget."""
    dispatch_many(cast, setting, 3)
    few, response = count_queries(send)
    assert response.status_code == 200, getattr(response, "content", b"")[:500]
    dispatch_many(cast, setting, 9)
    many, response = count_queries(send)
    assert response.status_code == 200
    print(f"{few} queries with 3 dispatches, {many} with 12")
    assert few == many, f"{few} queries with 3 dispatches, {many} with 12"
    assert many <= budget, f"{many} queries, budget {budget}"
    return many


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dispatch_coordinator", "counselor", "manager", "expert"])
def test_the_dispatch_desk_page_costs_the_same_for_few_and_many(cast, setting, busy, who):
    users = {"dispatch_coordinator": setting.dispatch_coordinator, "expert": busy.expert.user}
    web = web_as(users.get(who) or getattr(cast, who))

    same_for_few_and_many(cast, setting, lambda: web.get("/dispatch/"), budget=PAGE_BUDGET)


@pytest.mark.parametrize(
    "url",
    ["/dispatch/experts/", "/dispatch/dispatches/", "/dispatch/quota/", "/dispatch/copay.csv"],
)
def test_the_roster_lists_and_reports_cost_the_same_for_few_and_many(cast, setting, busy, url):
    web = web_as(setting.dispatch_coordinator)
    if url.endswith(".csv"):
        url += f"?month={timezone.localdate():%Y-%m}"

    same_for_few_and_many(cast, setting, lambda: web.get(url), budget=PAGE_BUDGET)


@pytest.mark.parametrize("who", ["dispatch_coordinator", "counselor", "expert"])
def test_a_dispatch_page_stays_within_its_budget(
    cast, setting, busy, who, django_assert_max_num_queries
):
    users = {"dispatch_coordinator": setting.dispatch_coordinator, "expert": busy.expert.user}
    dispatch_many(cast, setting, 9)
    web = web_as(users.get(who) or getattr(cast, who))

    for url in (
        f"/dispatch/dispatches/{busy.dispatches[0].pk}/",
        f"/dispatch/dispatches/{busy.dispatches[0].pk}/order/",
        f"/dispatch/experts/{busy.expert.pk}/",
    ):
        with django_assert_max_num_queries(PAGE_BUDGET):
            assert web.get(url).status_code == 200, url


def test_the_visit_report_page_and_the_calendar_feed_stay_within_their_budget(
    setting, busy, django_assert_max_num_queries
):
    web = web_as(busy.expert.user)

    with django_assert_max_num_queries(PAGE_BUDGET):
        assert web.get(f"/dispatch/visits/{busy.visit.pk}/report/").status_code == 200
    with django_assert_max_num_queries(PAGE_BUDGET):
        assert web.get(f"/dispatch/ical/{busy.expert.calendar_token}.ics").status_code == 200


def test_the_request_form_stays_within_its_budget(
    cast, setting, busy, django_assert_max_num_queries
):
    dispatch_many(cast, setting, 9)
    web = web_as(cast.counselor)

    with django_assert_max_num_queries(REQUEST_FORM_BUDGET):
        assert web.get(f"/dispatch/cases/{setting.case.pk}/new/").status_code == 200


def test_approving_on_the_page_stays_within_its_budget(
    cast, setting, busy, django_assert_max_num_queries
):
    dispatch_many(cast, setting, 9)
    web = web_as(setting.dispatch_coordinator)

    with django_assert_max_num_queries(WEB_APPROVE_BUDGET):
        response = web.post(f"/dispatch/dispatches/{busy.dispatches[1].pk}/approve/", {})
    assert response.status_code == 302
    busy.dispatches[1].refresh_from_db()
    assert busy.dispatches[1].status == "approved"


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/dispatches/", "/api/v1/experts/", "/api/v1/programs/"])
def test_the_api_lists_cost_the_same_for_few_and_many(cast, setting, busy, url):
    api = api_as(setting.dispatch_coordinator)

    same_for_few_and_many(cast, setting, lambda: api.get(url), budget=LIST_API_BUDGET)


def test_a_dispatch_and_its_visits_read_through_the_api_stay_within_their_budget(
    cast, setting, busy, django_assert_max_num_queries
):
    dispatch_many(cast, setting, 9)
    api = api_as(setting.dispatch_coordinator)
    pk = busy.dispatches[0].pk

    for url in (f"/api/v1/dispatches/{pk}/", f"/api/v1/dispatches/{pk}/visits/"):
        with django_assert_max_num_queries(LIST_API_BUDGET):
            assert api.get(url).status_code == 200, url


def test_approving_through_the_api_stays_within_its_budget(
    cast, setting, busy, django_assert_max_num_queries
):
    dispatch_many(cast, setting, 9)
    api = api_as(setting.dispatch_coordinator)
    dispatch = busy.dispatches[1]

    with django_assert_max_num_queries(API_APPROVE_BUDGET):
        response = api.post(
            f"/api/v1/dispatches/{dispatch.pk}/approve/",
            {"days": "1.5"},
            format="json",
            HTTP_IF_MATCH=f'"{dispatch.version}"',
        )
    assert response.status_code == 200, response.content
    assert response.json()["approved_days"] == 1.5


def test_requesting_through_the_api_stays_within_its_budget(
    cast, setting, busy, django_assert_max_num_queries
):
    dispatch_many(cast, setting, 9)
    api = api_as(cast.counselor)
    data = {
        "case": setting.case.pk,
        "program": setting.program.pk,
        "expert": busy.expert.pk,
        "purpose": "生産管理の指導",
        "requested_days": "2",
        "submit": True,
    }

    with django_assert_max_num_queries(API_CREATE_BUDGET):
        response = api.post("/api/v1/dispatches/", data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "requested"
