"""Audit screens (docs/security.md, "Audit screens"): logins, logouts, failed logins, lockouts
and token exchanges are recorded; managers and auditors read them, filtered and paged; the
access log's admin shows a staff user only the reads of cases they may see."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from casebook.accounts.models import SecurityEvent
from casebook.accounts.selectors import SECURITY_EVENT_PAGE
from casebook.intake.models import AccessLog
from tests.factories import PASSWORD, CaseFactory, count_queries, desk

pytestmark = pytest.mark.django_db

URL = "/accounts/security-events/"


def _events() -> list[tuple[str, str, str]]:
    return list(SecurityEvent.objects.order_by("id").values_list("kind", "username", "via"))


def test_a_login_a_failed_login_and_a_logout_are_recorded_with_the_address(cast):
    web = Client(REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="TestBrowser/1.0")
    web.post("/accounts/login/", {"username": "counselor", "password": "wrong"})
    web.post("/accounts/login/", {"username": "counselor", "password": PASSWORD})
    web.post("/accounts/logout/")
    assert _events() == [
        ("login_failed", "counselor", "web"),
        ("login", "counselor", "web"),
        ("logout", "counselor", "web"),
    ]
    failed = SecurityEvent.objects.order_by("id").first()
    assert failed.user == cast.counselor and failed.address == "192.0.2.10"
    assert failed.user_agent == "TestBrowser/1.0"


def test_a_failed_login_of_an_unknown_name_is_recorded_without_a_login(cast):
    Client().post("/accounts/login/", {"username": "nobody-here", "password": "x"})
    event = SecurityEvent.objects.get()
    assert (event.kind, event.username, event.user) == ("login_failed", "nobody-here", None)


def test_the_token_exchange_and_its_failures_are_recorded_without_the_password(cast):
    api = APIClient()
    api.post("/api/v1/auth/token/", {"username": "counselor", "password": "bad"}, format="json")
    api.post("/api/v1/auth/token/", {"username": "counselor", "password": PASSWORD}, format="json")
    assert _events() == [
        ("login_failed", "counselor", "api"),
        ("token_issued", "counselor", "api"),
    ]
    stored = " ".join(
        str(value) for row in SecurityEvent.objects.values() for value in row.values()
    )
    assert PASSWORD not in stored and "bad" not in stored.split()


def test_a_lockout_is_recorded(cast):
    for attempt in range(10):
        Client().post("/accounts/login/", {"username": "counselor", "password": f"w{attempt}"})
    assert SecurityEvent.objects.filter(kind="locked_out", username="counselor").count() == 1


@pytest.mark.parametrize("reader", ["manager", "auditor"])
def test_managers_and_auditors_read_the_events_filtered_by_user_kind_and_day(cast, reader):
    Client().post("/accounts/login/", {"username": "counselor", "password": "wrong"})
    Client().post("/accounts/login/", {"username": "coordinator", "password": PASSWORD})
    web = Client()
    web.force_login(getattr(cast, reader))
    page = web.get(URL).content.decode()
    assert "counselor" in page and "coordinator" in page
    only = web.get(URL, {"user": "counselor"}).content.decode()
    assert "counselor" in only and "coordinator" not in only
    failed = web.get(URL, {"kind": "login_failed"}).content.decode()
    assert "counselor" in failed and "coordinator" not in failed
    tomorrow = web.get(URL, {"since": "2999-01-01"}).content.decode()
    assert "counselor" not in tomorrow


@pytest.mark.parametrize("who", ["counselor", "coordinator", "exit_team", "outsider"])
def test_nobody_else_reads_the_security_events(cast, who):
    web = Client()
    web.force_login(getattr(cast, who))
    assert web.get(URL).status_code == 403


def test_the_security_events_are_paged_and_each_page_costs_the_same(cast):
    for n in range(SECURITY_EVENT_PAGE * 2 + 5):
        Client().post("/accounts/login/", {"username": f"guess{n}", "password": "x"})
    web = Client()
    web.force_login(cast.manager)
    web.get(URL)
    first, response = count_queries(lambda: web.get(URL))
    assert 'rel="next"' in response.content.decode()
    last, response = count_queries(lambda: web.get(URL, {"page": 3}))
    assert first == last <= 6
    # 105 guesses and the manager's own login, newest first: 50, 50 and 6 rows.
    assert len(re.findall(r"<td>guess\d+", response.content.decode())) == 6


@pytest.fixture
def staff_auditor(cast):
    """An auditor with the admin's view permissions (not a superuser)."""
    user = cast.auditor
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    web = Client()
    web.force_login(user)
    return web


def test_the_access_log_admin_shows_only_reads_of_cases_the_staff_user_may_see(cast, staff_auditor):
    restricted = CaseFactory(
        desk=desk("yorozu"),
        status="active",
        confidentiality="restricted",
        lead_counselor=cast.exit_team,
        title="極秘の廃業準備",
    )
    normal = CaseFactory(desk=desk("yorozu"), status="active", lead_counselor=cast.counselor)
    hidden = AccessLog.objects.create(user=cast.exit_team, case=restricted, via="web")
    shown = AccessLog.objects.create(user=cast.counselor, case=normal, via="web")
    listing = staff_auditor.get(reverse("admin:intake_accesslog_changelist")).content.decode()
    assert "極秘の廃業準備" not in listing and normal.number in listing
    change = reverse("admin:intake_accesslog_change", args=[hidden.pk])
    assert staff_auditor.get(change).status_code in (302, 404)
    history = reverse("admin:intake_accesslog_history", args=[hidden.pk])
    assert staff_auditor.get(history).status_code == 404
    shown_change = reverse("admin:intake_accesslog_change", args=[shown.pk])
    assert staff_auditor.get(shown_change).status_code == 200


def test_a_staff_user_outside_the_audit_trail_sees_no_access_log_in_the_admin(cast):
    user = cast.coordinator
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    case = CaseFactory(desk=desk("yorozu"), status="active", lead_counselor=cast.counselor)
    AccessLog.objects.create(user=cast.counselor, case=case, via="web")
    web = Client()
    web.force_login(user)
    listing = web.get(reverse("admin:intake_accesslog_changelist")).content.decode()
    assert case.number not in listing
