"""Query budgets of every reports screen and endpoint (docs/architecture.md, "Query budgets").

A report is a few aggregate queries whatever the number of records: each is measured for a
few sessions and for ten times as many, and must cost the same.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from casebook.api.services import token_issue
from casebook.exits.models import ExitPlan
from casebook.experts.models import DispatchVisit
from casebook.intake.models import ClientOutcome, Topic
from casebook.reports.models import Activity, ActivityParticipant
from casebook.reports.plan_fy2021 import FY2021_TARGETS
from casebook.reports.services import plan_targets_load
from tests.factories import (
    BookingFactory,
    CaseFactory,
    ClientFactory,
    DispatchFactory,
    OfficeFactory,
    ProgramFactory,
    SessionFactory,
    desk,
    slot_at,
    survey_row,
)
from tests.reports.conftest import at

FY = 2025
# The most each may cost, as measured for a manager: a page pays the session and the login (2)
# and the nav (its memberships and the unread count: 2), the KPI page also the filter form's
# choices (desks, offices, counselors, topics: 4); an export the session and the login (2);
# an API call the token (1). Then the report's own queries: consultations 7 (on PostgreSQL also
# the 5 statements that set the breakdowns' planner settings and set them back), cases 6, the
# plan 1 + 5 (its targets, then the actuals).
CONSULTATIONS = 7 + (5 if connection.vendor == "postgresql" else 0)
CASES, PLAN = 6, 6
# outcomes: the reports of the year's clients, and the clients not to be named
OUTCOMES = 2
# the sections other apps add: dispatch (programs, sub-quotas, days taken, visits; by expert;
# co-payments: 6), satellites (slots, offices: 2), the exit track (2)
OPERATIONS = 6 + 2 + 2
# the funder packs: the desk, then よろず the desk's consultations and visitors (1); IP its
# sessions by mode and by topic, the topics' names, the dispatch rows (visits and days: 1 each;
# by patent attorneys: 2 each, the experts' qualifications), foreign filings, activities
# the survey's figures by month (1)
YOROZU_PACK = 1 + CONSULTATIONS + 1 + 1
IP_PACK = 1 + 2 + 1 + (1 + 1 + 2 + 2) + 1 + 1
# the satisfaction survey: by month, by desk, by counselor (3); the page shows a manager the
# comments too (the page's count and rows, the comments of restricted cases: 3)
SATISFACTION = 3
BUDGETS = {
    "/reports/": 2 + 2 + 4 + CONSULTATIONS + CASES,
    "/reports/consultations.csv": 2 + CONSULTATIONS,
    "/reports/consultations.xlsx": 2 + CONSULTATIONS,
    "/reports/cases.csv": 2 + CASES,
    "/reports/cases.xlsx": 2 + CASES,
    "/reports/plan/": 2 + 2 + PLAN,
    "/reports/plan.csv": 2 + PLAN,
    "/reports/plan.xlsx": 2 + PLAN,
    # a page of activities (its count and its rows) and their count by kind
    "/reports/activities/": 2 + 2 + 2 + 1,
    "/reports/outcomes/": 2 + 2 + 4 + OUTCOMES,
    "/reports/outcomes.csv": 2 + OUTCOMES,
    "/reports/outcomes.xlsx": 2 + OUTCOMES,
    # the page's filter form draws the fiscal year and the desks (1)
    "/reports/operations/": 2 + 2 + 1 + OPERATIONS,
    "/reports/operations.csv": 2 + OPERATIONS,
    "/reports/operations.xlsx": 2 + OPERATIONS,
    "/reports/funders/yorozu/": 2 + 2 + YOROZU_PACK,
    "/reports/funders/yorozu.xlsx": 2 + YOROZU_PACK,
    "/reports/funders/ip/": 2 + 2 + IP_PACK,
    "/reports/funders/ip.xlsx": 2 + IP_PACK,
    "/reports/satisfaction/": 2 + 2 + 4 + SATISFACTION + 3,
    "/reports/satisfaction.csv": 2 + SATISFACTION,
    "/reports/satisfaction.xlsx": 2 + SATISFACTION,
}
API_BUDGETS = {
    "/api/v1/reports/consultations/": 1 + CONSULTATIONS,
    "/api/v1/reports/cases/": 1 + CASES,
    "/api/v1/reports/plan/": 1 + PLAN,
    "/api/v1/activities/": 1 + 1,
    "/api/v1/reports/outcomes/": 1 + OUTCOMES,
    "/api/v1/reports/operations/": 1 + OPERATIONS,
    "/api/v1/reports/funders/yorozu/": 1 + YOROZU_PACK,
    "/api/v1/reports/funders/ip/": 1 + IP_PACK,
    "/api/v1/reports/satisfaction/": 1 + SATISFACTION,
    # the page of reports with their cases and clients
    "/api/v1/outcomes/": 1 + 1,
}
# An activity with its participants: the activity, the participants with their clients and
# cases, and which follow-up cases the reader may see (1; the page's coordinator's
# memberships are read once for the nav and the policy alike).
ACTIVITY_BUDGET = 2 + 2 + 1 + 1 + 1
ACTIVITY_API_BUDGET = 1 + 1 + 1 + 1


SLOT_NUMBERS = itertools.count()


def make_records(cast, how_many: int) -> None:
    finance = Topic.objects.get(code="finance")
    program = ProgramFactory(fiscal_year=FY, code="expert")
    for n in range(how_many):
        case = CaseFactory(
            client=ClientFactory(),
            desk=desk("yorozu" if n % 2 else "ip"),
            opened_at=at(2025, 4 + n % 9, 1),
            first_session_at=at(2025, 4 + n % 9, 3),
            status="active",
            lead_counselor=cast.counselor,
        )
        session = SessionFactory(case=case, started_at=at(2025, 4 + n % 9, 3))
        session.topics.set([finance])
        session.counselors.set([cast.counselor])
        dispatch = DispatchFactory(case=case, program=program, status="scheduled")
        DispatchVisit.objects.create(
            dispatch=dispatch,
            expert=dispatch.expert,
            date=dt.date(2025, 5, 1),
            day_fraction=Decimal("1.0"),
        )
        activity = Activity.objects.create(
            kind="seminar", desk=case.desk, title="セミナー", held_on=dt.date(2025, 6, 1),
            created_by=cast.manager,
        )  # fmt: skip
        ActivityParticipant.objects.create(
            activity=activity, client=case.client, deals=1, follow_up_case=case
        )
        ExitPlan.objects.create(
            case=case, path="turnaround", stage="planning", started_on=dt.date(2025, 6, 1)
        )
        k = next(SLOT_NUMBERS)  # make_records runs twice a test: each slot its own time
        slot = slot_at(
            OfficeFactory(code=f"sat{k % 3}"), at(2025, 4 + k % 9, 1 + k % 28, 9 + k % 8)
        )
        BookingFactory(slot=slot)
        survey_row(
            sent_at=at(2025, 4 + n % 9, 10),
            score=1 + n % 5,
            comment="丁寧でした" if n % 2 else "",
            counselor=cast.counselor if n % 2 else cast.colleague,
            desk=case.desk,
        )
        for day, sales in ((dt.date(2025, 4, 20), 100), (dt.date(2025, 9, 1), 120 + n)):
            ClientOutcome.objects.create(
                client=case.client, case=case, reported_on=day, sales_yen=sales, employees=n
            )
    plan_targets_load(fiscal_year=FY, targets=FY2021_TARGETS, by=None)


def _count(send) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = send()
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    return len(queries), response.status_code


@pytest.mark.parametrize("url", sorted(BUDGETS))
def test_each_report_screen_and_export_costs_the_same_for_3_records_and_30(cast, url):
    web = WebClient()
    web.force_login(cast.manager)
    make_records(cast, 3)
    few, status = _count(lambda: web.get(url, {"fy": FY}))
    assert status == 200
    make_records(cast, 27)
    many, _status = _count(lambda: web.get(url, {"fy": FY}))
    assert many == few <= BUDGETS[url]


@pytest.mark.parametrize("url", sorted(API_BUDGETS))
def test_each_report_endpoint_costs_the_same_for_3_records_and_30(cast, url):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=cast.manager)[1]}")
    make_records(cast, 3)
    few, status = _count(lambda: api.get(url, {"fy": FY}))
    assert status == 200
    make_records(cast, 27)
    many, _status = _count(lambda: api.get(url, {"fy": FY}))
    assert many == few <= API_BUDGETS[url]


def add_participants(activity: Activity, how_many: int) -> None:
    for _n in range(how_many):
        client = ClientFactory()
        case = CaseFactory(client=client)
        ActivityParticipant.objects.create(activity=activity, client=client, follow_up_case=case)


def test_an_activity_page_and_its_endpoint_cost_the_same_for_3_participants_and_30(cast):
    activity = Activity.objects.create(
        kind="seminar", desk=desk("yorozu"), title="セミナー", held_on=dt.date(2025, 6, 1),
        online=True, created_by=cast.manager,
    )  # fmt: skip
    web = WebClient()
    web.force_login(cast.coordinator)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=cast.manager)[1]}")
    page, endpoint = f"/reports/activities/{activity.pk}/", f"/api/v1/activities/{activity.pk}/"
    add_participants(activity, 3)
    few = _count(lambda: web.get(page)), _count(lambda: api.get(endpoint))
    add_participants(activity, 27)
    many = _count(lambda: web.get(page)), _count(lambda: api.get(endpoint))
    assert few == many
    (page_queries, page_status), (api_queries, api_status) = few
    assert page_status == api_status == 200
    assert page_queries <= ACTIVITY_BUDGET
    assert api_queries <= ACTIVITY_API_BUDGET


# The form pages: the session and its user (2), the desk roles the nav and the policy share
# (1), the unread-notifications badge (1), the desks offered (1); the edit page reads the
# activity too (1).
ACTIVITY_FORM_BUDGETS = {"new": 2 + 1 + 1 + 1, "edit": 2 + 1 + 1 + 1 + 1}


def test_the_activity_forms_cost_the_same_however_many_activities_there_are(cast):
    web = WebClient()
    web.force_login(cast.coordinator)
    make_records(cast, 3)
    activity = Activity.objects.filter(desk=desk("yorozu")).first()
    pages = {"new": "/reports/activities/new/", "edit": f"/reports/activities/{activity.pk}/edit/"}
    few = {name: _count(lambda url=url: web.get(url)) for name, url in pages.items()}
    make_records(cast, 27)
    many = {name: _count(lambda url=url: web.get(url)) for name, url in pages.items()}
    assert few == many
    for name, (queries, status) in few.items():
        assert status == 200
        assert queries <= ACTIVITY_FORM_BUDGETS[name], name
