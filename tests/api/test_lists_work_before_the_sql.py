"""A list's work before its SQL: the visibility rule built once per login and request, and a
filter set of the filters its query string names, answering as the whole set does
(docs/performance.md, "The lists' work before the SQL")."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from django.db.models import Q
from django.http import QueryDict
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from casebook.accounts.models import OrgRole
from casebook.api.filters import _narrowed, named_filters
from casebook.intake import policy
from casebook.intake.api.filters import CaseFilter, SessionFilter
from casebook.intake.api.views import CaseViewSet, KeptFilterSetBackend
from casebook.intake.models import Case, ConsultationSession
from tests.factories import CaseFactory, SessionFactory, desk


def test_the_visibility_rule_is_built_once_per_login_object(cast):
    user = cast.counselor
    assert policy.visible_cases_q(user) is policy.visible_cases_q(user)
    assert policy.visible_sessions_q(user) is policy.visible_sessions_q(user)
    on_sessions = policy.visible_cases_q(user, prefix="case__")
    assert on_sessions is not policy.visible_cases_q(user)
    assert on_sessions is policy.visible_cases_q(user, prefix="case__")


def test_a_caller_that_changes_its_branches_list_changes_no_one_elses(cast):
    branches = policy.visible_case_branches(cast.counselor)
    branches.append(Q(pk=0))
    assert Q(pk=0) not in policy.visible_case_branches(cast.counselor)


def test_a_role_changed_on_the_login_object_is_not_answered_from_before(cast):
    user = cast.counselor
    case = CaseFactory(desk=desk("ip"))
    assert not policy.cases_visible_to(user).filter(pk=case.pk).exists()
    user.org_role = OrgRole.MANAGER
    assert policy.visible_cases_q(user) == Q()
    assert policy.cases_visible_to(user).filter(pk=case.pk).exists()
    user.is_active = False
    assert not policy.cases_visible_to(user).exists()


@pytest.mark.parametrize(
    ("url", "builds"),
    [
        ("/api/v1/cases/?page_size=5", "_case_branches"),
        ("/api/v1/cases/?q=相談&page_size=5", "_case_branches"),
        ("/api/v1/sessions/?page_size=5", "_session_branches"),
    ],
)
def test_a_login_s_list_requests_build_its_rule_once(cast, api_as, monkeypatch, url, builds):
    """Once for the request's several uses, and once for the login's next requests too
    (`policy.per_viewer`, docs/performance.md, "Rules built once per login")."""
    SessionFactory(case=CaseFactory(title="相談の案件", lead_counselor=cast.counselor))
    monkeypatch.setattr(policy, "_BUILT_FOR_VIEWERS", OrderedDict())
    built = []
    original = getattr(policy, builds)
    monkeypatch.setattr(policy, builds, lambda *args: built.append(args) or original(*args))
    api = api_as(cast.counselor)
    assert api.get(url).status_code == 200
    assert api.get(url).status_code == 200
    assert len(built) == 1


def _filterset(query: str):
    request = Request(APIRequestFactory().get(f"/api/v1/cases/?{query}"))
    view = CaseViewSet()
    view.request, view.action, view.format_kwarg = request, "list", None
    return KeptFilterSetBackend().get_filterset(request, Case.objects.all(), view)


def test_a_filter_set_holds_only_the_filters_its_query_string_names():
    filterset = _filterset("page_size=5&status=active&desk=ip&opened_from=2025-04-01&cursor=x")
    assert isinstance(filterset, CaseFilter)
    assert list(filterset.filters) == ["desk", "status", "opened_from"]
    assert named_filters(["opened_to", "q"], CaseFilter.base_filters) == ("opened_to", "q")


def test_a_narrowed_filter_set_is_made_once_per_set_of_names():
    assert _narrowed(CaseFilter, ("q",)) is _narrowed(CaseFilter, ("q",))
    assert _narrowed(CaseFilter, ("q",)) is not _narrowed(SessionFilter, ("q",))


@pytest.mark.parametrize(
    ("filterset_class", "model", "query"),
    [
        (CaseFilter, Case, "status=active,intake&desk=ip"),
        (CaseFilter, Case, "status=active&status=closed&priority=high"),
        (CaseFilter, Case, "desk=yorozu&opened_from=2020-01-01&opened_to=2099-01-01"),
        (CaseFilter, Case, "unassigned=true&confidentiality=normal"),
        (CaseFilter, Case, "session_from=2020-01-01&session_to=2099-01-01&topic=x"),
        (CaseFilter, Case, "opened_from=not-a-date&status=nonsense&counselor=x"),
        (CaseFilter, Case, "lead_counselor=99999999999999999999"),
        (SessionFilter, ConsultationSession, "desk=yorozu&mode=phone&started_from=2020-01-01"),
        (SessionFilter, ConsultationSession, "follow_up_to=x&counselor=-1"),
    ],
)
def test_a_narrowed_filter_set_answers_as_the_whole_one(cast, filterset_class, model, query):
    for where, level in [("yorozu", "normal"), ("ip", "confidential"), ("yorozu", "restricted")]:
        SessionFactory(case=CaseFactory(desk=desk(where), confidentiality=level, title="相談"))
    data = QueryDict(query)
    whole = filterset_class(data, queryset=model.objects.all())
    narrowed = _narrowed(filterset_class, named_filters(data, filterset_class.base_filters))(
        data, queryset=model.objects.all()
    )
    assert narrowed.is_valid() == whole.is_valid()
    assert narrowed.errors == whole.errors
    if whole.is_valid():
        assert str(narrowed.qs.query) == str(whole.qs.query)
        assert list(narrowed.qs) == list(whole.qs)
