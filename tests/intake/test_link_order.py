"""A case's co-counselors and a session's counselors are listed in the order they were added
(their link's id) on every page and in every answer, whatever order the plan reads them in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from casebook.intake import services
from casebook.intake.models import Case, ConsultationSession
from casebook.intake.personal_data import _cases, _sessions
from tests.factories import case_in_state, member
from tests.web.conftest import login


@pytest.fixture
def people(db):
    """Two counselors of the desk, the one made first added second: their ids' order is not
    the order they were added in."""
    first = member("yorozu", username="first", display_name="一番目")
    second = member("yorozu", username="second", display_name="二番目")
    return first, second


@pytest.fixture
def case(cast, people):
    first, second = people
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    links = Case.co_counselors.through.objects
    links.create(case=case, user=second)
    links.create(case=case, user=first)
    return case


@pytest.fixture
def session(cast, case, people):
    first, second = people
    session = services.session_log(
        case=case,
        by=cast.counselor,
        started_at=timezone.now() - dt.timedelta(hours=1),
        duration_minutes=45,
        mode="in_person_hq",
        summary="販路開拓について",
    )
    links = ConsultationSession.counselors.through.objects
    links.filter(consultationsession=session).delete()
    links.create(consultationsession=session, user=second)
    links.create(consultationsession=session, user=first)
    return session


def test_the_case_page_lists_the_co_counselors_and_a_sessions_counselors_as_they_were_added(
    cast, client, case, session
):
    page = login(client, cast.counselor).get(f"/cases/{case.pk}/").content.decode()
    assert page.count("二番目、一番目") == 2  # the co-counselors and the session's counselors
    assert "一番目、二番目" not in page


def test_the_case_record_lists_them_as_they_were_added(cast, client, case, session):
    page = login(client, cast.counselor).get(f"/cases/{case.pk}/record/").content.decode()
    assert page.count("二番目、一番目") == 2
    assert "一番目、二番目" not in page


def test_the_api_lists_them_as_they_were_added_in_a_list_and_alone(cast, case, session, people):
    first, second = people
    api = APIClient()
    api.force_authenticate(user=cast.counselor)
    [listed] = api.get(f"/api/v1/cases/?client={case.client_id}").json()["results"]
    assert listed["co_counselors"] == [second.pk, first.pk]
    assert api.get(f"/api/v1/cases/{case.pk}/").json()["co_counselors"] == [second.pk, first.pk]
    rows = api.get("/api/v1/sessions/").json()["results"]
    [row] = [row for row in rows if row["id"] == session.pk]
    assert row["counselors"] == [second.pk, first.pk]
    alone = api.get(f"/api/v1/sessions/{session.pk}/").json()
    assert alone["counselors"] == [second.pk, first.pk]


def test_an_edit_answers_with_the_kept_co_counselors_first_as_a_later_read_does(cast, case, people):
    first, second = people
    third = member("yorozu", username="third", display_name="三番目")
    case.refresh_from_db()
    updated = services.case_update(
        case=case,
        by=cast.coordinator,
        expected_version=case.version,
        co_counselors=[third, first, second],
    )
    answered = [person.pk for person in updated.co_counselors.all()]
    assert answered == [second.pk, first.pk, third.pk]
    read = Case.co_counselors.through.objects.filter(case=case).order_by("id")
    assert answered == list(read.values_list("user_id", flat=True))


def test_the_personal_data_export_lists_them_as_they_were_added(case, session, people):
    first, second = people
    [record] = list(_cases(case.client))
    assert record["co_counselors"] == [second.pk, first.pk]
    [record] = [record for record in _sessions(case.client) if record["id"] == session.pk]
    assert record["counselors"] == [second.pk, first.pk]
