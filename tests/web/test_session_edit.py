"""Correcting a session on the web: an edit within 7 days, an amendment with a reason after."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casebook.intake import services
from casebook.intake.models import ConsultationSession, SessionAmendment
from tests.web.conftest import in_english, local_input, login


def _logged(cast, case, *, days_ago: int = 0) -> ConsultationSession:
    session = services.session_log(
        case=case,
        by=cast.counselor,
        started_at=timezone.now() - dt.timedelta(days=days_ago, hours=1),
        duration_minutes=60,
        mode="in_person_hq",
        summary="資金繰りの相談",
        topics=["finance"],
    )
    if days_ago:
        ConsultationSession.objects.filter(pk=session.pk).update(
            created_at=timezone.now() - dt.timedelta(days=days_ago)
        )
        session.refresh_from_db()
    return session


def _post(session: ConsultationSession, **changes) -> dict:
    data = {
        "form_token": "edit-token",
        "version": session.version,
        "started_at": local_input(session.started_at),
        "duration_minutes": session.duration_minutes,
        "mode": session.mode,
        "topics": ["finance"],
        "counselors": [c.pk for c in session.counselors.all()],
        "summary": session.summary,
    }
    data.update(changes)
    return data


def test_a_recent_session_is_edited_without_a_reason(cast, client, active_case):
    session = _logged(cast, active_case)
    page = login(client, cast.counselor).get(f"/sessions/{session.pk}/edit/").content.decode()
    assert 'name="reason"' not in page
    response = client.post(f"/sessions/{session.pk}/edit/", _post(session, summary="直した要旨"))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.summary == "直した要旨"
    assert not SessionAmendment.objects.exists()


def test_an_amendment_without_a_reason_is_refused_at_the_field_and_saves_nothing(
    cast, client, active_case
):
    session = _logged(cast, active_case, days_ago=10)
    web = in_english(login(client, cast.counselor))
    page = web.get(f"/sessions/{session.pk}/edit/").content.decode()
    assert 'name="reason"' in page and "amendment" in page
    response = web.post(f"/sessions/{session.pk}/edit/", _post(session, summary="後から直した"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "amendment with a reason" in page
    assert "後から直した" in page
    session.refresh_from_db()
    assert session.summary == "資金繰りの相談"


def test_an_amendment_shows_its_reason_before_and_after_in_the_timeline(cast, client, active_case):
    session = _logged(cast, active_case, days_ago=10)
    web = in_english(login(client, cast.counselor))
    response = web.post(
        f"/sessions/{session.pk}/edit/",
        _post(session, summary="後から直した", duration_minutes=90, reason="時間の記入漏れ"),
    )
    assert response.status_code == 302
    amendment = SessionAmendment.objects.get(session=session)
    assert set(amendment.changes) == {"summary", "duration_minutes"}
    assert amendment.changes["duration_minutes"] == [60, 90]
    page = web.get(f"/cases/{active_case.pk}/").content.decode()
    assert "時間の記入漏れ" in page
    assert "<del>60</del>" in page and "<ins>90</ins>" in page
    assert "<del>資金繰りの相談</del>" in page


def test_a_session_edit_over_a_newer_version_is_refused(cast, client, active_case):
    session = _logged(cast, active_case)
    seen = session.version
    services.session_update(
        session=session, by=cast.counselor, expected_version=seen, summary="先に直した"
    )
    response = login(client, cast.counselor).post(
        f"/sessions/{session.pk}/edit/", _post(session, version=seen, summary="後から")
    )
    assert response.status_code == 409
    session.refresh_from_db()
    assert session.summary == "先に直した"


def test_a_session_edit_sent_twice_saves_once(cast, client, active_case):
    session = _logged(cast, active_case)
    web = login(client, cast.counselor)
    web.post(f"/sessions/{session.pk}/edit/", _post(session, summary="一回目"))
    again = web.post(f"/sessions/{session.pk}/edit/", _post(session, summary="一回目"))
    assert again.status_code == 302
    session.refresh_from_db()
    assert session.version == 2


def test_someone_not_on_the_case_may_not_correct_its_sessions(cast, client, active_case):
    session = _logged(cast, active_case)
    assert login(client, cast.auditor).get(f"/sessions/{session.pk}/edit/").status_code == 403
    assert login(client, cast.colleague).get(f"/sessions/{session.pk}/edit/").status_code == 404


def test_the_case_page_offers_the_correction_of_each_session(cast, client, active_case):
    session = _logged(cast, active_case)
    page = login(client, cast.counselor).get(f"/cases/{active_case.pk}/").content.decode()
    assert f"/sessions/{session.pk}/edit/" in page
