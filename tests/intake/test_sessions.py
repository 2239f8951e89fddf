from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from casebook.common.errors import ActionNotPermitted, ConflictError
from casebook.intake import services
from casebook.intake.models import ConsultationSession, SessionAmendment
from tests.factories import OfficeFactory, case_in_state, desk


def log(case, by, **overrides):
    fields = {
        "started_at": timezone.now() - dt.timedelta(hours=1),
        "duration_minutes": 45,
        "mode": "in_person_hq",
        "summary": "販路開拓について",
    }
    fields.update(overrides)
    return services.session_log(case=case, by=by, **fields)


@pytest.fixture
def case(cast):
    return case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"started_at": timezone.now() + dt.timedelta(days=1)}, "started_at"),
        ({"started_at": timezone.now() - dt.timedelta(days=367)}, "started_at"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"mode": "carrier_pigeon"}, "mode"),
        ({"summary": "  "}, "summary"),
        ({"topics": ["astrology"]}, "topics"),
        ({"mode": "in_person_satellite"}, "office"),
    ],
)
def test_a_bad_session_is_a_field_error_and_nothing_is_saved(cast, case, overrides, field):
    with pytest.raises(ValidationError) as refused:
        log(case, cast.counselor, **overrides)
    assert field in refused.value.message_dict
    assert not ConsultationSession.objects.exists()
    case.refresh_from_db()
    assert case.status == "assigned"


def test_a_satellite_session_names_its_satellite(cast, case):
    office = OfficeFactory(kind="satellite")
    session = log(case, cast.counselor, mode="in_person_satellite", office=office)
    assert session.office == office


def test_the_counselors_present_default_to_the_one_logging(cast, case):
    session = log(case, cast.counselor, topics=["finance", "grants"])
    assert list(session.counselors.all()) == [cast.counselor]
    assert sorted(session.topics.values_list("code", flat=True)) == ["finance", "grants"]


def test_a_colleague_of_another_desk_may_not_log_on_the_case(cast, case):
    with pytest.raises(ActionNotPermitted):
        log(case, cast.colleague)


def test_no_session_is_logged_on_a_closed_case(cast):
    closed = case_in_state("closed", lead=cast.counselor, by=cast.coordinator)
    with pytest.raises(ConflictError):
        log(closed, cast.counselor)


def test_a_recent_session_is_edited_in_place(cast, case):
    session = log(case, cast.counselor)
    services.session_update(
        session=session, by=cast.counselor, expected_version=1, summary="販路開拓と資金繰り"
    )
    session.refresh_from_db()
    assert session.summary == "販路開拓と資金繰り"
    assert not SessionAmendment.objects.exists()


def test_a_session_older_than_seven_days_takes_an_amendment_with_a_reason(cast, case):
    session = log(case, cast.counselor, started_at=timezone.now() - dt.timedelta(days=10))
    ConsultationSession.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - dt.timedelta(days=10)
    )
    with pytest.raises(ValidationError) as refused:
        services.session_update(
            session=session, by=cast.counselor, expected_version=1, duration_minutes=90
        )
    assert "reason" in refused.value.message_dict
    services.session_update(
        session=session,
        by=cast.counselor,
        expected_version=1,
        duration_minutes=90,
        reason="時間の記載誤り",
    )
    amendment = SessionAmendment.objects.get()
    assert amendment.changes == {"duration_minutes": [45, 90]}
    assert amendment.by == cast.counselor


def test_only_counselors_of_a_desk_are_recorded_as_present(cast, case):
    with pytest.raises(ValidationError) as refused:
        log(case, cast.counselor, counselors=[cast.counselor, cast.auditor])
    assert refused.value.error_dict["counselors"][0].code == "not_desk_staff"
    assert not ConsultationSession.objects.exists()


def test_a_co_counselor_from_another_desk_is_recorded_as_present_but_a_stranger_is_not(cast, case):
    case.co_counselors.add(cast.colleague)  # an IP desk counselor already on the case
    session = log(case, cast.counselor, counselors=[cast.counselor, cast.colleague])
    assert set(session.counselors.all()) == {cast.counselor, cast.colleague}
    with pytest.raises(ValidationError) as refused:
        log(case, cast.counselor, counselors=[cast.colleague, cast.auditor])
    assert str(cast.auditor.pk) in refused.value.error_dict["counselors"][0].message
    assert str(cast.colleague.pk) not in refused.value.error_dict["counselors"][0].message


class RecordingLayer:
    """A channel layer that keeps what it is sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    async def group_send(self, group: str, message: dict) -> None:
        self.sent.append((group, message))


def test_the_session_event_carries_what_a_read_of_the_case_after_the_commit_gives(
    cast, case, monkeypatch, django_capture_on_commit_callbacks
):
    from casebook.intake import events

    case.co_counselors.add(cast.colleague)
    services.case_share_grant(case=case, desk=desk("ip"), source="referral")
    layer = RecordingLayer()
    monkeypatch.setattr(events, "get_channel_layer", lambda: layer)
    with django_capture_on_commit_callbacks(execute=True):
        log(case, cast.counselor)
    reread = events.case_event_message(case_id=case.pk, kind="session_logged", desk_code="yorozu")
    assert reread["case"]["status"] == "active"  # the first session started the case
    assert sorted(reread["facts"]["co_counselor_ids"]) == [cast.colleague.pk]
    assert reread["facts"]["shared_desk_ids"] == [desk("ip").pk]
    assert layer.sent == [("board.yorozu", reread), (f"case.{case.pk}", reread)]


def test_a_session_logged_in_a_case_named_by_id_is_logged_in_that_case(cast, case):
    session = services.session_log(
        case_id=case.pk,
        by=cast.counselor,
        started_at=timezone.now() - dt.timedelta(hours=1),
        duration_minutes=45,
        mode="in_person_hq",
        summary="販路開拓について",
    )
    assert session.case == case
    case.refresh_from_db()
    assert case.status == "active"


def test_a_session_in_a_case_named_by_id_that_the_logger_may_not_see_is_a_404(cast, case):
    with pytest.raises(Http404):
        services.session_log(
            case_id=case.pk,
            by=cast.outsider,
            started_at=timezone.now() - dt.timedelta(hours=1),
            duration_minutes=45,
            mode="in_person_hq",
            summary="販路開拓について",
        )
    assert not ConsultationSession.objects.exists()


@pytest.mark.parametrize("named", ["both", "neither"])
def test_a_session_is_logged_in_a_case_or_a_case_id_not_both_nor_neither(cast, case, named):
    where = {"case": case, "case_id": case.pk} if named == "both" else {}
    with pytest.raises(TypeError):
        services.session_log(
            **where,
            by=cast.counselor,
            started_at=timezone.now() - dt.timedelta(hours=1),
            duration_minutes=45,
            mode="in_person_hq",
            summary="販路開拓について",
        )
