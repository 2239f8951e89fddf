"""The access log: every read of a restricted case, written by one service; lists write each
restricted case once per user and day, so a live refresh does not flood the log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as WebClient
from django.utils import timezone
from rest_framework.test import APIClient

from casebook.intake.models import AccessLog
from casebook.intake.services import access_log_record
from tests.factories import CaseFactory, SessionFactory, desk, exit_candidate, on_exit_track


@pytest.fixture
def restricted(cast):
    return CaseFactory(
        desk=desk("yorozu"),
        fiscal_year=2019,
        title="廃業の相談",
        status="active",
        confidentiality="restricted",
        on_exit_track=True,
        lead_counselor=cast.exit_team,
    )


def _logged(user) -> list[str]:
    return list(AccessLog.objects.filter(user=user).order_by("id").values_list("via", flat=True))


def test_only_restricted_cases_are_logged(cast, restricted):
    plain = CaseFactory()
    written = access_log_record(user=cast.exit_team, cases=[plain, restricted, None], via="web")
    assert written == 1
    assert _logged(cast.exit_team) == ["web"]


def test_once_a_day_writes_a_case_once_per_user_and_day(cast, restricted):
    assert access_log_record(user=cast.exit_team, cases=[restricted], via="board", once_a_day=True)
    assert not access_log_record(
        user=cast.exit_team, cases=[restricted], via="board", once_a_day=True
    )
    assert access_log_record(user=cast.manager, cases=[restricted], via="board", once_a_day=True)
    AccessLog.objects.update(at=timezone.now() - dt.timedelta(days=1))
    assert access_log_record(user=cast.exit_team, cases=[restricted], via="board", once_a_day=True)
    assert _logged(cast.exit_team) == ["board", "board"]


def test_every_read_of_the_case_page_is_logged(cast, restricted):
    web = WebClient()
    web.force_login(cast.exit_team)
    for _ in range(2):
        assert web.get(f"/cases/{restricted.pk}/").status_code == 200
    web.get(f"/cases/{restricted.pk}/timeline/")
    assert _logged(cast.exit_team) == ["web", "web", "timeline"]


@pytest.mark.parametrize(
    ("url", "via"),
    [
        ("/desks/yorozu/board/", "board"),
        ("/desks/yorozu/board/columns/", "board"),
        ("/", "home"),
        ("/search/?q=廃業", "search"),
    ],
)
def test_a_list_that_shows_a_restricted_case_logs_it_once_a_day(cast, restricted, url, via):
    web = WebClient()
    web.force_login(cast.exit_team)
    for _ in range(3):  # a live refresh asks again and again
        response = web.get(url)
        assert response.status_code == 200
        assert restricted.number in response.content.decode()
    assert _logged(cast.exit_team) == [via]


def test_the_client_page_logs_its_restricted_case_once_a_day(cast, restricted):
    web = WebClient()
    web.force_login(cast.exit_team)
    for _ in range(2):
        assert restricted.number in web.get(f"/clients/{restricted.client_id}/").content.decode()
    assert _logged(cast.exit_team) == ["client"]


def test_a_list_without_restricted_cases_writes_nothing(cast, restricted):
    web = WebClient()
    web.force_login(cast.counselor)
    web.get("/desks/yorozu/board/")
    web.get("/")
    assert not AccessLog.objects.exists()


def test_each_api_read_of_a_restricted_case_is_logged(cast, restricted):
    api = APIClient()
    api.force_authenticate(user=cast.exit_team)
    api.get(f"/api/v1/cases/{restricted.pk}/")
    api.get("/api/v1/cases/")
    assert _logged(cast.exit_team) == ["api", "api-list"]


def test_each_api_read_of_a_row_under_a_restricted_case_is_logged_in_its_resources_words(cast):
    case = exit_candidate(cast)
    plan = on_exit_track(case, by=cast.exit_team)
    session = SessionFactory(case=case)
    milestone = plan.milestones.first()
    AccessLog.objects.all().delete()
    api = APIClient()
    api.force_authenticate(user=cast.exit_team)
    for url in (
        f"/api/v1/sessions/{session.pk}/",
        "/api/v1/sessions/",
        f"/api/v1/exit-plans/{plan.pk}/",
        "/api/v1/exit-plans/",
        f"/api/v1/exit-milestones/{milestone.pk}/",
        "/api/v1/exit-milestones/",
    ):
        assert api.get(url).status_code == 200, url
    assert _logged(cast.exit_team) == ["session", "api-list", "api", "api-list", "api", "api-list"]
    assert set(AccessLog.objects.values_list("case_id", flat=True)) == {case.pk}
