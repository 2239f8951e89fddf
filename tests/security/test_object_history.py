"""The audit trail's history screen: managers and auditors read who changed what on any object
they may see (docs/security.md, "Audit screens"); everybody else, and every object they may
not see, gets a 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from casebook.common.extensions import registry
from casebook.common.paging import PAGE_SIZE
from casebook.intake.models import AccessLog
from tests.factories import CaseFactory, SessionFactory, count_queries, desk

pytestmark = pytest.mark.django_db


def _web(user) -> Client:
    web = Client()
    web.force_login(user)
    return web


def _history_url(kind: str, pk: int) -> str:
    return reverse("object_history", args=[kind, pk])


def _case(cast, **kwargs):
    fields = {"desk": desk("yorozu"), "status": "active", "lead_counselor": cast.counselor}
    return CaseFactory(**{**fields, **kwargs})


def test_a_manager_reads_who_changed_which_field_of_a_case_before_and_after(cast):
    case = _case(cast, title="販路開拓の相談")
    case.title = "海外販路の相談"
    case._history_user = cast.coordinator
    case.save(update_fields=["title"])

    page = _web(cast.manager).get(_history_url("cases", case.pk)).content.decode()

    assert "販路開拓の相談 → 海外販路の相談" in page
    assert f"({cast.coordinator.username})" in page


def test_an_auditor_reads_a_normal_case_history_but_not_a_restricted_one(cast):
    normal = _case(cast)
    restricted = _case(cast, confidentiality="restricted")
    auditor = _web(cast.auditor)
    assert auditor.get(_history_url("cases", normal.pk)).status_code == 200
    assert auditor.get(_history_url("cases", restricted.pk)).status_code == 404


@pytest.mark.parametrize("who", ["counselor", "coordinator", "exit_team", "outsider"])
def test_nobody_outside_the_audit_trail_reads_a_history_even_of_their_own_case(cast, who):
    case = _case(cast)
    assert _web(getattr(cast, who)).get(_history_url("cases", case.pk)).status_code == 404


def test_an_unknown_kind_or_object_is_a_404(cast):
    case = _case(cast)
    manager = _web(cast.manager)
    assert manager.get(_history_url("desks", case.pk)).status_code == 404
    assert manager.get(_history_url("cases", case.pk + 1000)).status_code == 404


def test_every_kind_the_audit_trail_names_is_registered():
    expected = {"clients", "cases", "sessions", "dispatches", "referrals", "exit_plans", "bookings"}
    assert expected <= set(registry.history_kinds)


def test_reading_a_restricted_case_history_is_written_to_the_access_log(cast):
    restricted = _case(cast, confidentiality="restricted")
    AccessLog.objects.all().delete()
    assert _web(cast.manager).get(_history_url("cases", restricted.pk)).status_code == 200
    logged = list(AccessLog.objects.values_list("user__username", "case_id", "via"))
    assert logged == [(cast.manager.username, restricted.pk, "history")]


def test_a_session_and_its_client_have_their_history_too(cast):
    session = SessionFactory(case=_case(cast))
    manager = _web(cast.manager)
    assert manager.get(_history_url("sessions", session.pk)).status_code == 200
    assert manager.get(_history_url("clients", session.case.client_id)).status_code == 200


def test_the_history_is_paged_and_each_page_costs_the_same(cast):
    case = _case(cast, title="v0")
    for n in range(1, PAGE_SIZE * 2 + 5):
        case.title = f"v{n}"
        case.save(update_fields=["title"])
    web = _web(cast.manager)
    url = _history_url("cases", case.pk)
    web.get(url)
    first, response = count_queries(lambda: web.get(url))
    assert 'rel="next"' in response.content.decode()
    last, response = count_queries(lambda: web.get(url, {"page": 3}))
    assert first == last <= 12
    # 105 rows, newest first: the third page holds the five oldest, the creation last.
    changes = re.findall(r"<li>[^<]*: (v\d+) → (v\d+)</li>", response.content.decode())
    assert changes == [("v3", "v4"), ("v2", "v3"), ("v1", "v2"), ("v0", "v1")]


def test_the_case_page_links_its_history_for_the_audit_trails_readers_only(cast):
    case = _case(cast)
    url = _history_url("cases", case.pk)
    assert url in _web(cast.manager).get(reverse("case_detail", args=[case.pk])).content.decode()
    own_page = _web(cast.counselor).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert url not in own_page


def test_the_client_page_links_its_history_for_an_auditor(cast):
    case = _case(cast)
    page = _web(cast.auditor).get(reverse("client_detail", args=[case.client_id]))
    assert _history_url("clients", case.client_id) in page.content.decode()
