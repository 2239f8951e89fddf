"""Findings 1 and 2 (docs/security.md): a duplicate merge and the naming of co-counselors never
show a case to someone of another desk."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casebook.intake import services
from casebook.intake.models import CaseShare, ConsultationSession
from tests.factories import CaseFactory, ClientFactory, SessionFactory, desk


def _ip_case_and_shared_yorozu_case(cast):
    client = ClientFactory()
    ip_case = CaseFactory(
        desk=desk("ip"),
        client=client,
        lead_counselor=cast.colleague,
        status="active",
        confidentiality="confidential",
    )
    yorozu_case = CaseFactory(
        desk=desk("yorozu"), client=client, lead_counselor=cast.counselor, status="active"
    )
    CaseShare.objects.create(case=yorozu_case, desk=desk("ip"), source="referral:1")
    return ip_case, yorozu_case


def _refusal(duplicate, survivor, by) -> list[str]:
    """The codes with which closing `duplicate` as a duplicate of `survivor` is refused."""
    with pytest.raises(ValidationError) as error:
        services.case_close(
            case=duplicate, by=by, reason="duplicate", summary="重複", duplicate_of=survivor
        )
    return [e.code for e in error.value.error_dict["duplicate_of"]]


def test_a_case_is_not_merged_into_a_case_of_another_desk(cast):
    ip_case, yorozu_case = _ip_case_and_shared_yorozu_case(cast)
    session = SessionFactory(case=ip_case, summary="未公開の発明")
    assert _refusal(ip_case, yorozu_case, cast.colleague) == ["desk"]
    session.refresh_from_db()
    assert session.case_id == ip_case.pk
    ip_case.refresh_from_db()
    assert ip_case.status == "active"


def test_a_confidential_case_is_not_merged_into_a_less_confidential_one(cast):
    client = ClientFactory()
    secret = CaseFactory(
        client=client,
        lead_counselor=cast.counselor,
        status="active",
        confidentiality="confidential",
    )
    open_case = CaseFactory(client=client, lead_counselor=cast.counselor, status="active")
    SessionFactory(case=secret)
    assert _refusal(secret, open_case, cast.counselor) == ["confidentiality"]


def test_a_case_is_merged_only_where_its_closer_may_log_sessions(cast):
    client = ClientFactory()
    mine = CaseFactory(client=client, lead_counselor=cast.counselor, status="active")
    theirs = CaseFactory(client=client, lead_counselor=cast.coordinator, status="active")
    SessionFactory(case=mine)
    assert _refusal(mine, theirs, cast.counselor) == ["log_session"]


def test_a_duplicate_of_the_same_desk_hands_its_sessions_to_the_survivor(cast):
    client = ClientFactory()
    duplicate = CaseFactory(client=client, lead_counselor=cast.counselor, status="active")
    survivor = CaseFactory(
        client=client,
        lead_counselor=cast.counselor,
        status="active",
        confidentiality="confidential",
    )
    session = SessionFactory(case=duplicate)
    services.case_close(
        case=duplicate, by=cast.counselor, reason="duplicate", summary="重複", duplicate_of=survivor
    )
    assert ConsultationSession.objects.get(pk=session.pk).case_id == survivor.pk


def test_the_api_refuses_a_co_counselor_of_another_desk_naming_only_the_id(cast, api_as):
    case = CaseFactory(lead_counselor=cast.counselor, status="active")
    response = api_as(cast.counselor).patch(
        f"/api/v1/cases/{case.pk}/",
        {"co_counselors": [cast.colleague.pk]},
        format="json",
        HTTP_IF_MATCH=f'"{case.version}"',
    )
    assert response.status_code == 400
    message = str(response.json())
    assert str(cast.colleague.pk) in message
    assert str(cast.colleague) not in message
    assert not case.co_counselors.exists()


def test_a_colleague_of_the_case_desk_is_named_a_co_counselor(cast, api_as):
    from tests.factories import member

    peer = member("yorozu", "counselor", username="peer")
    case = CaseFactory(lead_counselor=cast.counselor, status="active")
    response = api_as(cast.counselor).patch(
        f"/api/v1/cases/{case.pk}/",
        {"co_counselors": [peer.pk]},
        format="json",
        HTTP_IF_MATCH=f'"{case.version}"',
    )
    assert response.status_code == 200
    assert list(case.co_counselors.all()) == [peer]
