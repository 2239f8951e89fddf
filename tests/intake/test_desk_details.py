from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casebook.accounts.models import DeskRole
from casebook.common.errors import ConflictError, TransitionNotAllowed
from casebook.intake import services
from casebook.intake.models import SubcontractDetails, grace_period_deadline
from casebook.intake.selectors import ip_grace_period_alerts
from tests.factories import case_in_state, desk, member


@pytest.fixture
def dispute_counselor(db):
    return member("subcontract", DeskRole.COORDINATOR, username="kakekomi")


def test_the_dispute_desk_takes_anonymous_intakes(dispute_counselor):
    case = services.case_open(
        desk=desk("subcontract"),
        client=None,
        title="代金減額の相談",
        intake_channel="phone",
        by=dispute_counselor,
    )
    assert case.client is None
    assert SubcontractDetails.objects.get(case=case).anonymous


def test_other_desks_need_a_client(cast):
    with pytest.raises(ValidationError) as refused:
        services.case_open(
            desk=desk("yorozu"),
            client=None,
            title="相談",
            intake_channel="phone",
            by=cast.counselor,
        )
    assert "client" in refused.value.message_dict


def test_adr_mediation_follows_its_states(dispute_counselor):
    case = case_in_state(
        "assigned", lead=dispute_counselor, by=dispute_counselor, desk_code="subcontract"
    )
    details = services.subcontract_details_update(
        case=case, by=dispute_counselor, adr_state="filed"
    )
    assert details.adr_filed_on == timezone.localdate()
    services.subcontract_details_update(case=case, by=dispute_counselor, adr_state="in_progress")
    services.subcontract_details_update(case=case, by=dispute_counselor, adr_state="settled")
    with pytest.raises(TransitionNotAllowed) as refused:
        services.subcontract_details_update(case=case, by=dispute_counselor, adr_state="filed")
    assert (refused.value.current, refused.value.requested) == ("settled", "filed")


def test_forwarding_to_meti_needs_a_suspected_breach(dispute_counselor):
    case = case_in_state(
        "assigned", lead=dispute_counselor, by=dispute_counselor, desk_code="subcontract"
    )
    with pytest.raises(ValidationError) as refused:
        services.subcontract_details_update(
            case=case, by=dispute_counselor, forwarded_to_meti_on=timezone.localdate()
        )
    assert "forwarded_to_meti_on" in refused.value.message_dict
    assert not SubcontractDetails.objects.filter(case=case, forwarded_to_meti_on__isnull=False)


def test_desk_details_belong_to_their_desk(cast):
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    with pytest.raises(ConflictError):
        services.ip_details_update(case=case, by=cast.coordinator, rights_sought=["patent"])


@pytest.fixture
def ip_coordinator(db):
    return member("ip", DeskRole.COORDINATOR, username="chizai")


def test_ip_details_validate_rights_and_countries(ip_coordinator):
    case = case_in_state("assigned", lead=ip_coordinator, by=ip_coordinator, desk_code="ip")
    with pytest.raises(ValidationError) as refused:
        services.ip_details_update(
            case=case,
            by=ip_coordinator,
            rights_sought=["patent", "copyright"],
            foreign_filing_countries=["us", "Japan"],
        )
    assert set(refused.value.message_dict) == {"rights_sought", "foreign_filing_countries"}
    details = services.ip_details_update(
        case=case,
        by=ip_coordinator,
        rights_sought=["patent", "trademark"],
        foreign_filing_countries=["us", "cn", "US"],
    )
    assert details.foreign_filing_countries == ["US", "CN"]


def test_the_grace_period_ends_one_year_after_disclosure():
    assert grace_period_deadline(dt.date(2026, 3, 10)) == dt.date(2027, 3, 10)
    assert grace_period_deadline(dt.date(2024, 2, 29)) == dt.date(2025, 3, 1)


def _disclosed_for(deadline: dt.date) -> dt.date:
    """The disclosure date whose grace period ends on `deadline`."""
    if (deadline.month, deadline.day) == (2, 29):
        deadline -= dt.timedelta(days=1)
    return deadline.replace(year=deadline.year - 1)


def test_grace_period_alerts_start_60_days_before_and_turn_urgent_at_14(ip_coordinator):
    today = timezone.localdate()
    cases = {}
    for days_left in (10, 45, 90):
        case = case_in_state("assigned", lead=ip_coordinator, by=ip_coordinator, desk_code="ip")
        services.ip_details_update(
            case=case,
            by=ip_coordinator,
            invention_disclosed_on=_disclosed_for(today + dt.timedelta(days=days_left)),
        )
        cases[days_left] = case
    alerts = ip_grace_period_alerts(user=ip_coordinator, today=today)
    assert [alert.case for alert in alerts] == [cases[10], cases[45]]
    assert [alert.grace.urgency for alert in alerts] == ["urgent", "soon"]
