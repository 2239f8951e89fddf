"""The lists read one visibility branch at a time (docs/performance.md, "Lists: one index scan
per branch") return exactly the rows of the plain rule, in the same order, for every kind of
reader; on PostgreSQL each branch is an index scan in the list's order cut at the page."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casebook.accounts.models import DeskMembership, DeskRole
from casebook.common.branches import first_rows
from casebook.intake import selectors
from casebook.intake.models import CaseShare
from tests.factories import CaseFactory, SessionFactory, desk, member
from tests.markers import needs_postgres
from tests.web.conftest import login

CASE_ORDER = ("-opened_at", "-id")
SESSION_ORDER = ("-started_at", "-id")


@pytest.fixture
def hub(cast):
    """A small generated load, and beside it a case of every kind a branch covers."""
    call_command("generate_load", "--force", "--scale", "0.001", "--seed", "3", stdout=StringIO())
    now = timezone.now()
    ip = desk("ip")

    def case(**kwargs):
        # A fiscal year of its own: its numbers never meet the generated ones.
        opened_at = now - dt.timedelta(hours=len(made_cases))
        made = CaseFactory(opened_at=opened_at, fiscal_year=1999, **kwargs)
        made_cases.append(made)
        SessionFactory(case=made, started_at=made.opened_at + dt.timedelta(minutes=5))
        return made

    made_cases: list = []
    case(confidentiality="restricted")
    case(confidentiality="confidential")
    case(desk=ip, lead_counselor=cast.counselor)
    case(desk=ip, lead_counselor=cast.counselor, confidentiality="restricted")
    case(lead_counselor=cast.colleague, confidentiality="restricted")
    co = case(desk=ip, confidentiality="confidential")
    co.co_counselors.add(cast.counselor)
    for confidentiality in ("normal", "confidential"):
        shared = case(desk=ip, confidentiality=confidentiality)
        CaseShare.objects.create(case=shared, desk=desk("yorozu"), source="test")
    two_desks = member("yorozu", DeskRole.COUNSELOR, username="two.desks")
    DeskMembership.objects.create(user=two_desks, desk=ip, role=DeskRole.COUNSELOR)
    coordinator_of_ip = member("ip", DeskRole.COORDINATOR, username="coord.ip.test")
    return [*vars(cast).values(), two_desks, coordinator_of_ip]


@pytest.mark.django_db
def test_a_list_read_by_branches_is_the_plain_list_for_every_reader(hub):
    for user, stop in ((user, stop) for user in hub for stop in (1, 7, 51, 5_000)):
        cases = selectors.case_list_for_user(user=user).order_by(*CASE_ORDER)
        branched = selectors.case_list_branches(user=user)
        by_branches = first_rows(cases, base=branched.base, branches=branched.branches, stop=stop)
        assert [c.pk for c in by_branches] == [c.pk for c in cases[:stop]], user.username

        sessions = selectors.session_list_for_user(user=user).order_by(*SESSION_ORDER)
        branched = selectors.session_list_branches(user=user)
        by_branches = first_rows(
            sessions, base=branched.base, branches=branched.branches, start=3, stop=stop + 3
        )
        assert [s.pk for s in by_branches] == [s.pk for s in sessions[3 : stop + 3]]


def _walk(client, url: str) -> list[int]:
    """Every id of an API list, page after page along its cursors."""
    ids: list[int] = []
    while url:
        body = client.get(url).json()
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
    return ids


@pytest.mark.django_db
def test_the_api_lists_page_through_exactly_the_visible_rows_for_every_reader(hub, client):
    for user in hub:
        login(client, user)
        cases = selectors.case_list_for_user(user=user).order_by(*CASE_ORDER)
        assert _walk(client, "/api/v1/cases/?page_size=25") == [c.pk for c in cases]
        by_number = selectors.case_list_for_user(user=user).order_by("number", "id")
        walked = _walk(client, "/api/v1/cases/?page_size=40&ordering=number&status=intake")
        assert walked == [c.pk for c in by_number if c.status == "intake"]
        sessions = selectors.session_list_for_user(user=user).order_by(*SESSION_ORDER)
        assert _walk(client, "/api/v1/sessions/?page_size=30") == [s.pk for s in sessions]


def _page_plan(client, url: str) -> str:
    """EXPLAIN of the query that reads a list's page (the one that merges the branches)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    sql = next(q["sql"] for q in captured.captured_queries if "UNION ALL" in q["sql"])
    with connection.cursor() as cursor:
        # The load is small enough to be read whole and sorted; the plan wanted is the one of
        # a decade, where only an index in the list's order stops early: the planner is told
        # to avoid full reads and sorts wherever an index can spare them.
        cursor.execute("ANALYZE intake_case, intake_consultationsession")
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_sort = off")
        try:
            cursor.execute("EXPLAIN " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")


# The indexes that may serve a branch in the list's order (on a small load the planner may
# walk the whole order's index for a desk that holds most of the cases: still cut at the page).
DESK = ("case_desk_opened", "case_opened_at_id")
LEAD = ("case_lead_opened", "case_opened_at_id")
SESSIONS = ("session_started_at_id",)


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "url", "served_by"),
    [
        ("coordinator", "/api/v1/cases/?page_size=50", [DESK]),
        ("counselor", "/api/v1/cases/?page_size=50", [DESK, LEAD]),
        ("two.desks", "/api/v1/cases/?page_size=200", [DESK, LEAD]),
        ("coordinator", "/api/v1/sessions/?page_size=50", [SESSIONS]),
        ("counselor", "/api/v1/sessions/?page_size=50", [SESSIONS]),
    ],
)
def test_each_branch_of_a_list_page_is_an_index_scan_cut_at_the_page(
    hub, client, who, url, served_by
):
    user = next(user for user in hub if user.username == who)
    login(client, user)
    plan = _page_plan(client, url)
    for table in ("intake_case", "intake_consultationsession"):
        assert f"Seq Scan on {table}" not in plan, plan
    walks = [
        index
        for line in plan.splitlines()
        for index in {index for group in served_by for index in group}
        if f"Backward using {index} " in line
    ]
    assert len(walks) >= len(served_by), plan
    for indexes in served_by:
        assert set(indexes) & set(walks), plan
    # Every branch is cut at the page (a Limit each, one more over the merged candidates);
    # a sort is only ever of those candidates or of a branch as small as the reader's own
    # co-counselled and shared cases.
    assert plan.count("Limit") >= 3, plan
