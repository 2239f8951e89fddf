"""The visibility matrix: every endpoint, every role, cases of another desk and of each
confidentiality level. What a user may not see answers 404 and never shows up in a list."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from casebook.accounts.models import DeskRole
from casebook.intake import policy
from casebook.intake.models import AccessLog, Case, ConsultationSession
from tests.factories import CaseFactory, SessionFactory, desk, member

ROLES = ["counselor", "colleague", "coordinator", "manager", "auditor", "exit_team", "outsider"]

# Who sees which case, written out from the visibility rules (not computed by the policy).
VISIBLE: dict[str, set[str]] = {
    "counselor": {"yorozu_normal", "yorozu_confidential"},
    "colleague": {"ip_normal", "ip_confidential"},
    "coordinator": {"yorozu_normal", "yorozu_confidential"},
    "manager": {
        "yorozu_normal",
        "yorozu_confidential",
        "yorozu_restricted",
        "ip_normal",
        "ip_confidential",
    },
    "auditor": {"yorozu_normal", "yorozu_confidential", "ip_normal", "ip_confidential"},
    "exit_team": {"yorozu_normal", "yorozu_confidential", "yorozu_restricted"},
    "outsider": set(),
}

ACTION_BODIES = {
    "assign": lambda world: {"counselor": world.yorozu_lead.pk},
    "hold": lambda world: {"reason": "資料待ち", "resume_by": "2099-01-01"},
    "resume": lambda world: {},
    "close": lambda world: {"reason": "resolved", "summary": "解決"},
    "reopen": lambda world: {"reason": "再相談"},
}


@dataclass
class World:
    cases: dict[str, Case]
    sessions: dict[str, ConsultationSession]
    yorozu_lead: object


@pytest.fixture
def world(cast) -> World:
    yorozu_lead = member("yorozu", DeskRole.COUNSELOR, username="yorozu_lead")
    ip_lead = member("ip", DeskRole.COUNSELOR, username="ip_lead")
    specs = {
        "yorozu_normal": ("yorozu", "normal", False, yorozu_lead),
        "yorozu_confidential": ("yorozu", "confidential", False, yorozu_lead),
        "yorozu_restricted": ("yorozu", "restricted", True, yorozu_lead),
        "ip_normal": ("ip", "normal", False, ip_lead),
        "ip_confidential": ("ip", "confidential", False, ip_lead),
    }
    cases, sessions = {}, {}
    for name, (desk_code, confidentiality, exit_track, lead) in specs.items():
        case = CaseFactory(
            desk=desk(desk_code),
            status="active",
            confidentiality=confidentiality,
            on_exit_track=exit_track,
            lead_counselor=lead,
            title=f"案件 {name}",
        )
        cases[name] = case
        sessions[name] = SessionFactory(case=case)
    return World(cases=cases, sessions=sessions, yorozu_lead=yorozu_lead)


def _requests(world: World, name: str) -> list[tuple[str, str, dict, dict]]:
    """(method, url, body, headers) of every route that reaches one case or its session."""
    case, session = world.cases[name], world.sessions[name]
    if_match = {"HTTP_IF_MATCH": f'"{case.version}"'}
    routes = [
        ("get", f"/api/v1/cases/{case.pk}/", {}, {}),
        ("patch", f"/api/v1/cases/{case.pk}/", {"title": "書き換え"}, if_match),
        (
            "put",
            f"/api/v1/cases/{case.pk}/",
            {
                "title": "書き換え",
                "topics": [],
                "priority": "high",
                "confidentiality": case.confidentiality,
                "co_counselors": [],
            },
            if_match,
        ),
        ("get", f"/api/v1/cases/{case.pk}/sessions/", {}, {}),
        ("get", f"/api/v1/sessions/{session.pk}/", {}, {}),
        ("patch", f"/api/v1/sessions/{session.pk}/", {"summary": "書き換え"}, if_match),
        (
            "post",
            "/api/v1/sessions/",
            {
                "case": case.pk,
                "started_at": "2026-11-01T10:00:00+09:00",
                "duration_minutes": 30,
                "mode": "phone",
                "summary": "電話相談",
            },
            {},
        ),
    ]
    for action, body in ACTION_BODIES.items():
        routes.append(("post", f"/api/v1/cases/{case.pk}/{action}/", body(world), {}))
    return routes


@pytest.mark.parametrize("role", ROLES)
def test_every_route_to_a_case_the_user_may_not_see_answers_404(cast, world, api_as, role):
    api = api_as(getattr(cast, role))
    versions_before = {name: (c.version, c.status, c.title) for name, c in world.cases.items()}
    sessions_before = ConsultationSession.objects.count()
    wrong = []
    for name in world.cases:
        if name in VISIBLE[role]:
            continue
        for method, url, body, headers in _requests(world, name):
            response = getattr(api, method)(url, body, format="json", **headers)
            if response.status_code != 404 or response.json()["type"] != "not_found":
                wrong.append((name, method, url, response.status_code))
    assert wrong == []
    after = {
        name: (c.version, c.status, c.title)
        for name, c in ((n, Case.objects.get(pk=c.pk)) for n, c in world.cases.items())
    }
    assert after == versions_before
    assert ConsultationSession.objects.count() == sessions_before


@pytest.mark.parametrize("role", ROLES)
def test_a_visible_case_can_be_read_by_its_id(cast, world, api_as, role):
    api = api_as(getattr(cast, role))
    for name in VISIBLE[role]:
        case, session = world.cases[name], world.sessions[name]
        assert api.get(f"/api/v1/cases/{case.pk}/").status_code == 200, name
        assert api.get(f"/api/v1/sessions/{session.pk}/").status_code == 200, name


@pytest.mark.parametrize("role", ROLES)
def test_lists_and_filters_only_ever_show_visible_cases(cast, world, api_as, role):
    api = api_as(getattr(cast, role))
    ids = {c.pk: name for name, c in world.cases.items()}
    session_ids = {s.pk: name for name, s in world.sessions.items()}
    queries = [
        "/api/v1/cases/",
        "/api/v1/cases/?desk=ip",
        "/api/v1/cases/?desk=yorozu,ip",
        "/api/v1/cases/?confidentiality=restricted",
        "/api/v1/cases/?confidentiality=confidential",
        "/api/v1/cases/?q=案件",
        "/api/v1/cases/?on_exit_track=true",
        f"/api/v1/cases/?lead_counselor={world.yorozu_lead.pk}",
    ]
    for case in world.cases.values():
        queries += [
            f"/api/v1/cases/?q={case.number}",
            f"/api/v1/cases/?client={case.client_id}",
            f"/api/v1/clients/{case.client_id}/cases/",
        ]
    for query in queries:
        response = api.get(query)
        if "/clients/" in query and role in ("outsider",):
            assert response.status_code == 404
            continue
        assert response.status_code == 200, query
        shown = {ids[row["id"]] for row in response.json()["results"]}
        assert shown <= VISIBLE[role], (query, shown - VISIBLE[role])
    all_visible = {ids[row["id"]] for row in api.get("/api/v1/cases/").json()["results"]}
    assert all_visible == VISIBLE[role]

    for query in ["/api/v1/sessions/", "/api/v1/sessions/?desk=ip"] + [
        f"/api/v1/sessions/?case={c.pk}" for c in world.cases.values()
    ]:
        response = api.get(query)
        assert response.status_code == 200
        shown = {session_ids[row["id"]] for row in response.json()["results"]}
        assert shown <= VISIBLE[role], (query, shown - VISIBLE[role])


def test_a_filter_on_another_desk_is_an_empty_list_not_an_error(cast, world, api_as):
    response = api_as(cast.counselor).get("/api/v1/cases/?desk=ip")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_role_that_may_see_but_not_act_gets_403_naming_the_rule(cast, world, api_as):
    case = world.cases["yorozu_normal"]
    response = api_as(cast.auditor).post(
        f"/api/v1/cases/{case.pk}/close/", {"reason": "resolved", "summary": "解決"}, format="json"
    )
    assert response.status_code == 403
    body = response.json()
    assert body["type"] == "permission_denied"
    assert body["detail"] == str(policy.RULES[policy.Action.CLOSE])
    assert Case.objects.get(pk=case.pk).status == "active"


def test_reading_a_restricted_case_through_the_api_is_written_to_the_access_log(
    cast, world, api_as
):
    case = world.cases["yorozu_restricted"]
    api = api_as(cast.exit_team)
    api.get(f"/api/v1/cases/{case.pk}/")
    api.get("/api/v1/cases/")
    logged = list(
        AccessLog.objects.filter(case=case, user=cast.exit_team).values_list("via", flat=True)
    )
    assert sorted(logged) == ["api", "api-list"]


def test_an_anonymous_request_is_refused_without_revealing_anything(world, api_as):
    response = api_as(None).get(f"/api/v1/cases/{world.cases['yorozu_normal'].pk}/")
    assert response.status_code == 401
    assert response.json()["type"] == "not_authenticated"
    assert "title" not in response.json()
