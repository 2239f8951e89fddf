"""Query budgets of the busiest screens and endpoints (docs/architecture.md, "Query budgets").

The case page is measured on a case with many sessions, edits, referrals and dispatches, as
its lead counselor and as a coordinator of its desk; a case PATCH through the API as an
integration sends it (token authentication); the desk board must cost the same whether it
shows 10 cases a column or 300.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from casebook.accounts.models import DeskRole
from casebook.experts import services as dispatch_services
from casebook.intake import services
from casebook.intake.models import Case
from tests.factories import (
    ExpertFactory,
    PartnerFactory,
    ProgramFactory,
    api_token,
    case_in_state,
    member,
    open_backlog,
    refer_external,
    refer_internal,
)

# The core case page was 15; the outcomes panel (what the client reported) reads its rows
# (1), and so does the attachments panel, once for the panel and the timeline (1).
CASE_PAGE_BUDGET = 17
CASE_PATCH_BUDGET = 10
# The token, the user's memberships, the case (visible and locked in one statement), the
# INSERTs (the session, its counselors, one history row); no query for a counselor who is
# the login itself, no second lock of the case, no existence query for the case and the user
# the service already holds, no query for the duration's range, and no desk-staff check for
# a lead who names only themself.
SESSION_CREATE_BUDGET = 8
# The board's columns are read as their ids (one bounded read per column, one query on
# PostgreSQL), then the cards by id: 15 queries on PostgreSQL.
BOARD_BUDGET = 19


@pytest.fixture
def busy_case(cast) -> Case:
    """A yorozu case with 12 sessions, 8 edits, 3 referrals and 2 dispatches."""
    colleague = member("yorozu", DeskRole.COUNSELOR, username="co_counselor")
    case = case_in_state(
        "active",
        lead=cast.counselor,
        by=cast.coordinator,
        topics=["finance", "marketing"],
    )
    now = timezone.now()
    for n in range(12):
        services.session_log(
            case=case,
            by=cast.counselor,
            started_at=now - dt.timedelta(days=20 - n),
            duration_minutes=60,
            mode="in_person_hq",
            summary=f"相談{n}",
            topics=["finance"],
            counselors=[cast.counselor, colleague],
        )
    for n in range(8):
        case.refresh_from_db()
        services.case_update(
            case=case,
            by=cast.coordinator,
            expected_version=case.version,
            title=f"資金繰りの相談 その{n}",
            priority="high" if n % 2 else "normal",
            topics=["finance", "marketing"] if n % 2 else ["finance"],
            co_counselors=[colleague] if n % 2 else [],
        )
    refer_internal(case, "ip", by=cast.counselor)
    refer_internal(case, "trade", by=cast.counselor, share_full_file=True)
    refer_external(case, PartnerFactory(), by=cast.counselor)
    coordinator = member("dispatch", DeskRole.COORDINATOR, username="dispatchcoord")
    program = ProgramFactory(code="expert", quota_days=Decimal("800.0"))
    for days in ("2", "3"):
        dispatch = dispatch_services.dispatch_request(
            case=case,
            program=program,
            expert=ExpertFactory(),
            purpose="工程改善の指導",
            requested_days=days,
            by=cast.counselor,
            submit=True,
        )
    dispatch_services.dispatch_approve(dispatch=dispatch, by=coordinator)
    case.refresh_from_db()
    return case


def _count(send) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as context:
        response = send()
    return len(context.captured_queries), response


@pytest.mark.parametrize("who", ["counselor", "coordinator"])
def test_the_case_page_of_a_busy_case_stays_within_its_query_budget(cast, busy_case, who):
    web = WebClient()
    web.force_login(getattr(cast, who))
    count, response = _count(lambda: web.get(f"/cases/{busy_case.pk}/"))
    assert response.status_code == 200
    print(f"case page as {who}: {count} queries")
    assert count <= CASE_PAGE_BUDGET


def test_a_case_patch_stays_within_its_query_budget(cast, busy_case):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(cast.counselor)}")
    count, response = _count(
        lambda: api.patch(
            f"/api/v1/cases/{busy_case.pk}/",
            {"priority": "low", "title": "資金繰りと販路の相談"},
            format="json",
            HTTP_IF_MATCH=f'"{busy_case.version}"',
        )
    )
    assert response.status_code == 200, response.content
    print(f"case PATCH: {count} queries")
    assert count <= CASE_PATCH_BUDGET


def test_a_session_logged_through_the_api_stays_within_its_query_budget(cast, busy_case):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(cast.counselor)}")
    count, response = _count(
        lambda: api.post(
            "/api/v1/sessions/",
            {
                "case": busy_case.pk,
                "started_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
                "duration_minutes": 60,
                "mode": "phone",
                "summary": "電話で資金繰りの続きを相談",
                "counselors": [cast.counselor.pk],
            },
            format="json",
        )
    )
    assert response.status_code == 201, response.content
    print(f"session create: {count} queries")
    assert count <= SESSION_CREATE_BUDGET


def _board(web: WebClient) -> tuple[int, str]:
    count, response = _count(lambda: web.get("/desks/yorozu/board/"))
    assert response.status_code == 200
    return count, response.content.decode()


def test_the_desk_board_costs_the_same_for_10_cases_a_column_and_300(cast, settings):
    """The board reads a count and the first cards of each column: neither its queries nor
    its size grow with the backlog (docs/performance.md, "The desk board")."""
    settings.CASEBOOK_BOARD_COLUMN_SIZE = 20
    web = WebClient()
    web.force_login(cast.coordinator)
    web.get("/desks/yorozu/board/")  # the first visit settles the session
    open_backlog(10, lead=cast.counselor)
    few, small = _board(web)
    assert small.count('class="board-card') == 5 * 10
    open_backlog(290, lead=cast.counselor)
    many, large = _board(web)
    print(f"desk board: {few} queries with 10 cases a column, {many} with 300")
    assert few == many <= BOARD_BUDGET
    assert large.count('class="board-card') == 5 * 20
    assert large.count('<span class="count">300</span>') == 5
    # Twenty cards a column whatever the backlog: the page is as large as with 20 cases.
    assert len(large.encode()) < len(small.encode()) * 2.2


def test_the_board_socket_knows_only_the_cards_the_board_shows(cast, settings):
    from casebook.intake.selectors.live import board_case_ids_for_user
    from tests.factories import desk

    settings.CASEBOOK_BOARD_COLUMN_SIZE = 3
    backlog = open_backlog(6, lead=cast.counselor)
    yorozu = desk("yorozu")
    with CaptureQueriesContext(connection) as context:
        known = board_case_ids_for_user(user=cast.coordinator, desk=yorozu)
    firsts = {case.pk for case in backlog if case in _first_of_each_status(backlog, 3)}
    assert known == firsts
    # The memberships, then one bounded read per column (one union of them on PostgreSQL).
    assert len(context.captured_queries) <= 6


def _my_cases(web, query: str = "") -> tuple[int, str]:
    count, response = _count(lambda: web.get(f"/{query}"))
    assert response.status_code == 200
    return count, response.content.decode()


def test_my_cases_cost_the_same_for_10_cases_and_310_and_on_any_page(cast):
    """Each list of my cases reads its two parts (led, co-counselled) up to the page's end:
    neither the queries nor the rows of a page grow with the counselor's open cases
    (docs/performance.md, "The stress shape")."""
    web = WebClient()
    web.force_login(cast.counselor)
    web.get("/")  # the first visit settles the session
    for case in open_backlog(1, lead=cast.coordinator, title="副担当の相談"):
        case.co_counselors.add(cast.counselor)
    due = timezone.localdate() - dt.timedelta(days=1)
    Case.objects.filter(status="on_hold").update(resume_by=due, next_follow_up=due)
    few, _ = _my_cases(web)
    open_backlog(60, lead=cast.counselor)
    Case.objects.filter(status="on_hold").update(resume_by=due, next_follow_up=due)
    many, first = _my_cases(web)
    later, third = _my_cases(web, "?page=3&follow_ups_page=2&holds_page=2")
    print(f"my cases: {few} queries with 10 cases, {many} with 310, {later} on later pages")
    assert few == many == later
    assert "副担当の相談" in first
    assert 'rel="next"' in first and 'rel="prev"' in third


def _first_of_each_status(cases: list[Case], size: int) -> list[Case]:
    by_status: dict[str, list[Case]] = {}
    for case in cases:
        by_status.setdefault(case.status, []).append(case)
    return [case for column in by_status.values() for case in column[:size]]


def _with_tokens(user, how_many: int) -> str:
    keys = [api_token(user) for _ in range(how_many)]
    return keys[-1]


@pytest.mark.parametrize("how_many", [3, 30])
def test_the_api_tokens_page_costs_the_same_for_3_tokens_and_30(cast, how_many):
    _with_tokens(cast.counselor, how_many)
    web = WebClient()
    web.force_login(cast.counselor)
    count, response = _count(lambda: web.get("/accounts/tokens/"))
    assert response.status_code == 200
    print(f"tokens page with {how_many} tokens: {count} queries")
    assert count <= 6


@pytest.mark.parametrize("how_many", [3, 30])
def test_the_api_token_list_and_a_revoke_stay_within_their_budgets(cast, how_many):
    key = _with_tokens(cast.counselor, how_many)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    count, response = _count(lambda: api.get("/api/v1/tokens/"))
    assert response.status_code == 200 and len(response.json()["results"]) == how_many
    print(f"token list with {how_many} tokens: {count} queries")
    assert count <= 3
    first = response.json()["results"][-1]["id"]
    count, response = _count(lambda: api.post(f"/api/v1/tokens/{first}/revoke/"))
    assert response.status_code == 200
    print(f"token revoke: {count} queries")
    assert count <= 6


# The session and the user; the place comes from the package's own data, not the database.
POSTAL_CODE_PLACE_BUDGET = 2


def test_the_postal_code_lookup_reads_nothing_but_the_login(cast):
    web = WebClient()
    web.force_login(cast.counselor)
    web.get("/")  # the first visit settles the session
    count, response = _count(lambda: web.get("/clients/postal-code/?postal_code=310-0801"))
    assert response.status_code == 200
    print(f"postal code lookup: {count} queries")
    assert count <= POSTAL_CODE_PLACE_BUDGET


# --- the correction screens and endpoints -----------------------------------------------------

# Each bounded whatever the client or the case holds: measured on the busy case's client with
# 6 contacts, a merge candidate with 3 cases, a session with an amendment.
CORRECTION_BUDGETS = {
    "client edit form": 7,
    "merge preview": 12,
    "new contact form": 6,
    "contact edit form": 7,
    "session correction form": 12,
    "case record": 16,
}


@pytest.fixture
def busy_client(cast, busy_case):
    client = busy_case.client
    for n in range(6):
        services.contact_create(
            client=client, by=cast.counselor, name=f"担当{n}", is_primary=n == 0
        )
    return client


def test_the_correction_screens_stay_within_their_query_budgets(cast, busy_case, busy_client):
    other = busy_case.client.__class__.objects.create(kind="company", name="株式会社重複")
    for _ in range(3):
        case_in_state("active", lead=cast.counselor, by=cast.coordinator, client=other)
    session = busy_case.sessions.order_by("pk").first()
    contact = busy_client.contacts.first()
    web = WebClient()
    web.force_login(cast.coordinator)
    web.get("/")  # the first visit settles the session
    pages = {
        "client edit form": f"/clients/{busy_client.pk}/edit/",
        "merge preview": f"/clients/{busy_client.pk}/merge/?other={other.pk}",
        "new contact form": f"/clients/{busy_client.pk}/contacts/new/",
        "contact edit form": f"/clients/{busy_client.pk}/contacts/{contact.pk}/edit/",
        "session correction form": f"/sessions/{session.pk}/edit/",
        "case record": f"/cases/{busy_case.pk}/record/",
    }
    over = {}
    for name, url in pages.items():
        count, response = _count(lambda url=url: web.get(url))
        assert response.status_code == 200, (name, response.status_code)
        print(f"{name}: {count} queries")
        if count > CORRECTION_BUDGETS[name]:
            over[name] = count
    assert not over


CORRECTION_API_BUDGETS = {
    "GET contacts": 5,
    # the client row locked, the previous primary demoted with its history row, the new one
    # checked against the one-primary constraint and saved with its history row
    "POST a contact": 16,
    "PATCH a contact": 16,
    "GET desk details": 5,
    "PATCH desk details": 10,
}


def test_the_correction_endpoints_stay_within_their_query_budgets(cast, busy_client):
    ip_lead = member("ip", DeskRole.COORDINATOR, username="chizai")
    ip_case = case_in_state("active", lead=ip_lead, by=ip_lead, desk_code="ip")
    services.ip_details_update(case=ip_case, by=ip_lead, rights_sought=["patent"])
    contact = busy_client.contacts.order_by("pk").last()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(ip_lead)}")
    calls = {
        "GET contacts": lambda: api.get(f"/api/v1/clients/{busy_client.pk}/contacts/"),
        "POST a contact": lambda: api.post(
            f"/api/v1/clients/{busy_client.pk}/contacts/",
            {"name": "新任 担当", "is_primary": True},
            format="json",
        ),
        "PATCH a contact": lambda: api.patch(
            f"/api/v1/clients/{busy_client.pk}/contacts/{contact.pk}/",
            {"is_primary": True},
            format="json",
            HTTP_IF_MATCH=f'"{contact.version}"',
        ),
        "GET desk details": lambda: api.get(f"/api/v1/cases/{ip_case.pk}/details/"),
        "PATCH desk details": lambda: api.patch(
            f"/api/v1/cases/{ip_case.pk}/details/",
            {"filing_outcome": "出願済み"},
            format="json",
            HTTP_IF_MATCH='"2"',
        ),
    }
    over = {}
    for name, call in calls.items():
        count, response = _count(call)
        assert response.status_code in (200, 201), (name, response.content)
        print(f"{name}: {count} queries")
        if count > CORRECTION_API_BUDGETS[name]:
            over[name] = count
    assert not over
