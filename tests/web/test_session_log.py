from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casebook.intake.models import ConsultationSession
from tests.factories import case_in_state
from tests.web.conftest import local_input, login


def _session(**changes) -> dict:
    data = {
        "form_token": "session-token",
        "started_at": local_input(timezone.now() - dt.timedelta(hours=1)),
        "duration_minutes": 45,
        "mode": "in_person_hq",
        "topics": ["finance", "grants"],
        "summary": "補助金の申請書を確認した",
        "advice": "事業計画を具体化する",
    }
    data.update(changes)
    return data


def test_the_session_page_opens_with_sensible_defaults(cast, client, active_case):
    page = (
        login(client, cast.counselor).get(f"/cases/{active_case.pk}/sessions/new/").content.decode()
    )
    assert 'type="datetime-local"' in page and 'name="form_token"' in page
    assert 'class="chips"' in page
    assert f'value="{cast.counselor.pk}" id="id_counselors_' in page
    assert "autofocus" in page


def test_logging_a_session_saves_it_in_one_step(cast, client, active_case):
    response = login(client, cast.counselor).post(
        f"/cases/{active_case.pk}/sessions/new/", _session()
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{active_case.pk}/"
    session = ConsultationSession.objects.get(summary="補助金の申請書を確認した")
    assert session.duration_minutes == 45
    assert set(session.topics.values_list("code", flat=True)) == {"finance", "grants"}
    assert list(session.counselors.all()) == [cast.counselor]


def test_the_first_session_makes_an_assigned_case_active(cast, client):
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    login(client, cast.counselor).post(f"/cases/{case.pk}/sessions/new/", _session())
    case.refresh_from_db()
    assert case.status == "active"


def test_a_session_in_the_future_is_refused_at_the_field_and_the_text_stays(
    cast, client, active_case
):
    tomorrow = local_input(timezone.now() + dt.timedelta(days=1))
    response = login(client, cast.counselor).post(
        f"/cases/{active_case.pk}/sessions/new/", _session(started_at=tomorrow)
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_started_at_error"' in page
    assert "補助金の申請書を確認した</textarea>" in page
    assert f'value="{tomorrow}"' in page
    assert 'value="grants"' in page[page.index('class="chips"') :]
    assert not ConsultationSession.objects.filter(summary="補助金の申請書を確認した").exists()


def test_a_session_without_a_summary_is_refused_at_the_summary(cast, client, active_case):
    response = login(client, cast.counselor).post(
        f"/cases/{active_case.pk}/sessions/new/", _session(summary="  ")
    )
    assert response.status_code == 400
    assert 'id="id_summary_error"' in response.content.decode()


def test_a_refused_session_can_be_sent_again_once_corrected(cast, client, active_case):
    login(client, cast.counselor)
    client.post(f"/cases/{active_case.pk}/sessions/new/", _session(summary=""))
    response = client.post(f"/cases/{active_case.pk}/sessions/new/", _session())
    assert response.status_code == 302
    assert ConsultationSession.objects.filter(summary="補助金の申請書を確認した").count() == 1


def test_sending_the_same_session_twice_saves_it_once(cast, client, active_case):
    login(client, cast.counselor)
    client.post(f"/cases/{active_case.pk}/sessions/new/", _session())
    second = client.post(f"/cases/{active_case.pk}/sessions/new/", _session())
    assert second.status_code == 302
    assert ConsultationSession.objects.filter(summary="補助金の申請書を確認した").count() == 1


def test_an_auditor_who_sees_the_case_gets_403(cast, client, active_case):
    client = login(client, cast.auditor)
    assert client.get(f"/cases/{active_case.pk}/sessions/new/").status_code == 403
    assert client.post(f"/cases/{active_case.pk}/sessions/new/", _session()).status_code == 403
    assert not ConsultationSession.objects.filter(summary="補助金の申請書を確認した").exists()


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_a_case_the_user_may_not_see_answers_404(cast, client, active_case, who):
    response = login(client, getattr(cast, who)).get(f"/cases/{active_case.pk}/sessions/new/")
    assert response.status_code == 404


def test_a_case_still_in_the_queue_answers_409(cast, client, intake_case):
    response = login(client, cast.coordinator).get(f"/cases/{intake_case.pk}/sessions/new/")
    assert response.status_code == 409
