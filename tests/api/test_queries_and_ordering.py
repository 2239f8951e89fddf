"""Lists cost the same number of queries at any page size; ordering and filters come from an
allow-list, so a query string cannot reach related fields."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casebook.accounts.models import DeskRole
from casebook.intake.models import Case, ConsultationSession, Topic
from tests.factories import CaseFactory, ClientFactory, SessionFactory, api_token, desk, member


@pytest.fixture
def many_cases(cast):
    """205 visible cases, each with three topics, a co-counselor and a session."""
    topics = list(Topic.objects.all()[:3])
    colleague = member("yorozu", DeskRole.COUNSELOR, username="co_counselor")
    client = ClientFactory()
    now = timezone.now()
    cases = Case.objects.bulk_create(
        CaseFactory.build(
            desk=desk("yorozu"),
            client=client,
            status="active",
            lead_counselor=cast.counselor,
            opened_at=now - dt.timedelta(minutes=i),
        )
        for i in range(205)
    )
    Case.topics.through.objects.bulk_create(
        Case.topics.through(case=case, topic=topic) for case in cases for topic in topics
    )
    Case.co_counselors.through.objects.bulk_create(
        Case.co_counselors.through(case=case, user=colleague) for case in cases
    )
    sessions = ConsultationSession.objects.bulk_create(
        SessionFactory.build(case=case, started_at=now - dt.timedelta(hours=1)) for case in cases
    )
    ConsultationSession.counselors.through.objects.bulk_create(
        ConsultationSession.counselors.through(consultationsession=session, user=cast.counselor)
        for session in sessions
    )
    return cases


@pytest.fixture
def token_api(cast):
    """A client that authenticates each request by token, as an integration would."""
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(cast.counselor)}")
    return api


def _queries(api, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as context:
        response = api.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), len(response.json()["results"])


@pytest.mark.parametrize("url", ["/api/v1/cases/?page_size={n}", "/api/v1/sessions/?page_size={n}"])
def test_a_list_costs_the_same_queries_at_page_sizes_10_and_200(token_api, many_cases, url):
    api = token_api
    small, small_rows = _queries(api, url.format(n=10))
    large, large_rows = _queries(api, url.format(n=200))
    assert (small_rows, large_rows) == (10, 200)
    assert small == large


def test_a_client_list_costs_the_same_queries_at_page_sizes_10_and_200(token_api):
    ClientFactory.create_batch(205)
    api = token_api
    assert (
        _queries(api, "/api/v1/clients/?page_size=10")[0]
        == _queries(api, "/api/v1/clients/?page_size=200")[0]
    )


def test_the_page_size_is_capped_at_200_and_defaults_to_50(cast, api_as, many_cases):
    api = api_as(cast.counselor)
    assert len(api.get("/api/v1/cases/").json()["results"]) == 50
    assert len(api.get("/api/v1/cases/?page_size=1000").json()["results"]) == 200


def test_cursor_pages_walk_every_case_once(cast, api_as, many_cases):
    api = api_as(cast.counselor)
    seen, url = [], "/api/v1/cases/?page_size=60&ordering=status"
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(c.pk for c in many_cases)


def test_an_allowed_ordering_key_sorts(cast, api_as):
    for title, number in (("b", 2), ("a", 1), ("c", 3)):
        CaseFactory(title=title, sequence=900 + number, number=f"yorozu-2026-{900 + number:05d}")
    api = api_as(cast.counselor)
    rows = api.get("/api/v1/cases/?ordering=number").json()["results"]
    assert [r["number"] for r in rows] == sorted(r["number"] for r in rows)
    rows = api.get("/api/v1/cases/?ordering=-number").json()["results"]
    assert [r["number"] for r in rows] == sorted((r["number"] for r in rows), reverse=True)


@pytest.mark.parametrize(
    "ordering", ["client__name", "-client__name", "lead_counselor__password", "title", "client"]
)
def test_an_ordering_outside_the_allow_list_is_ignored(cast, api_as, ordering):
    # Client names sort opposite to the default (newest opened first).
    for i, name in enumerate(["ア社", "イ社", "ウ社"]):
        CaseFactory(
            client=ClientFactory(name=name),
            opened_at=timezone.now() - dt.timedelta(hours=i),
        )
    api = api_as(cast.counselor)
    default = [r["id"] for r in api.get("/api/v1/cases/").json()["results"]]
    response = api.get(f"/api/v1/cases/?ordering={ordering}")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == default


def test_a_filter_naming_a_related_field_is_not_applied(cast, api_as):
    CaseFactory(client=ClientFactory(name="株式会社一"))
    CaseFactory(client=ClientFactory(name="株式会社二"))
    api = api_as(cast.counselor)
    for query in ("client__name=株式会社一", "lead_counselor__username=x", "desk__code=ip"):
        response = api.get(f"/api/v1/cases/?{query}")
        assert response.status_code == 200
        assert len(response.json()["results"]) == 2, query


def test_q_matches_kana_in_either_script_and_the_corporate_number(cast, api_as):
    match = ClientFactory(
        name="水戸精機株式会社",
        name_kana="ミトセイキ",
        name_search="水戸精機株式会社",
        name_kana_search="ミトセイキ",
        corporate_number="7000012050002",
    )
    CaseFactory(client=match, title="設備投資")
    CaseFactory(client=ClientFactory(name="日立物産"), title="輸出")
    api = api_as(cast.counselor)
    for q in ("みとせいき", "ミトセイキ", "水戸精機", "７００００１２", "設備"):
        rows = api.get("/api/v1/cases/", {"q": q}).json()["results"]
        assert [r["client"] for r in rows] == [match.pk], q
        clients = api.get("/api/v1/clients/", {"q": q}).json()["results"]
        if q != "設備":
            assert [c["id"] for c in clients] == [match.pk], q


def test_case_filters_by_status_topic_counselor_and_dates(cast, api_as):
    yorozu = desk("yorozu")
    old = CaseFactory(
        desk=yorozu,
        status="active",
        lead_counselor=cast.counselor,
        opened_at=timezone.now() - dt.timedelta(days=40),
    )
    old.topics.set(["finance"])
    SessionFactory(case=old, started_at=timezone.now() - dt.timedelta(days=30))
    new = CaseFactory(desk=yorozu, status="intake")
    new.topics.set(["digital"])
    api = api_as(cast.counselor)

    def ids(query: str) -> list[int]:
        response = api.get(f"/api/v1/cases/?{query}")
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    today = timezone.localdate()
    assert ids("status=active") == [old.pk]
    assert ids("status=active&status=intake") == [new.pk, old.pk]
    assert ids("topic=finance") == [old.pk]
    assert ids(f"lead_counselor={cast.counselor.pk}") == [old.pk]
    assert ids(f"counselor={cast.counselor.pk}") == [old.pk]
    assert ids("unassigned=true") == [new.pk]
    assert ids(f"opened_from={today - dt.timedelta(days=1)}") == [new.pk]
    assert ids(f"opened_to={today - dt.timedelta(days=35)}") == [old.pk]
    window = (
        f"session_from={today - dt.timedelta(days=31)}&session_to={today - dt.timedelta(days=29)}"
    )
    assert ids(window) == [old.pk]
    assert ids(f"session_from={today - dt.timedelta(days=5)}") == []


@pytest.mark.parametrize(
    "query",
    ["status=nonsense", "lead_counselor=abc", "office=99999999999999999999999", "opened_from=x"],
)
def test_a_malformed_filter_value_is_a_400_naming_the_filter(cast, api_as, query):
    response = api_as(cast.counselor).get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == query.split("=")[0]


def test_a_forged_cursor_is_refused_in_the_error_shape(cast, api_as):
    CaseFactory()
    forged = base64.b64encode(b"o=0&r=0&p=not-a-date").decode()
    response = api_as(cast.counselor).get(f"/api/v1/cases/?cursor={forged}")
    assert response.status_code == 400
    garbage = api_as(cast.counselor).get("/api/v1/cases/?cursor=a")
    assert garbage.status_code == 404
    assert garbage.json()["type"] == "not_found"
    assert set(response.json()) >= {"type", "code", "detail", "errors"}
