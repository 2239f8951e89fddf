from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone, translation

from casebook.common.errors import ActionNotPermitted, ConflictError, TransitionNotAllowed
from casebook.intake import services as case_services
from casebook.intake.models import Case
from casebook.referrals import policy, selectors, services
from casebook.referrals.models import Referral
from tests.factories import case_in_state, desk, refer_internal


def test_an_internal_referral_opens_a_linked_case_in_the_receiving_queue(cast, yorozu_case):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    assert referral.status == "pending"
    created = referral.created_case
    assert created.desk.code == "ip"
    assert created.status == "intake"
    assert created.intake_channel == "referral"
    assert created.client_id == yorozu_case.client_id
    assert created.number.startswith("ip-")
    # The history of the new case names the referrer, who is no member of the ip desk.
    assert created.history.first().history_user_id == cast.counselor.pk
    assert not referral.attached_to_existing


def test_the_due_date_is_three_business_days_later_counted_over_golden_week(
    cast, yorozu_case, monkeypatch
):
    tuesday_before_golden_week = dt.datetime(2026, 4, 28, 10, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: tuesday_before_golden_week)

    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    # 30 April, 1 May, then 7 May: 29 April and 4–6 May are public holidays.
    assert referral.due_on == dt.date(2026, 5, 7)


def test_the_receiving_coordinator_accepts_and_the_referrer_is_told(
    cast, yorozu_case, ip_coordinator, inbox, django_capture_on_commit_callbacks
):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    referrer = inbox(cast.counselor.pk)

    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_accept(
            referral=referral, by=ip_coordinator, lead_counselor=cast.colleague
        )

    assert referral.status == "accepted"
    assert referral.responded_by == ip_coordinator
    created = Case.objects.get(pk=referral.created_case_id)
    assert created.status == "assigned"
    assert created.lead_counselor == cast.colleague
    assert "referral_accepted" in referrer.kinds()


def test_decline_needs_a_reason(cast, yorozu_case, ip_coordinator):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    with pytest.raises(ValidationError) as error:
        services.referral_decline(referral=referral, by=ip_coordinator, reason="  ")

    assert "reason" in error.value.message_dict
    referral.refresh_from_db()
    assert referral.status == "pending"


def test_a_declined_referral_leaves_the_queue_and_the_referrer_is_told(
    cast, yorozu_case, ip_coordinator, inbox, django_capture_on_commit_callbacks
):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    referrer = inbox(cast.counselor.pk)

    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_decline(
            referral=referral, by=ip_coordinator, reason="知財の論点がありません"
        )

    assert referral.status == "declined"
    assert referral.decline_reason == "知財の論点がありません"
    created = Case.objects.get(pk=referral.created_case_id)
    assert created.status == "closed"
    assert created.closure_reason == "out_of_scope"
    assert "referral_declined" in referrer.kinds()
    # A declined referral is no longer open: the referring case may close.
    case_services.case_close(case=yorozu_case, by=cast.counselor, reason="resolved", summary="済")


def test_a_referral_is_answered_only_once(cast, yorozu_case, ip_coordinator):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    services.referral_accept(referral=referral, by=ip_coordinator)

    with pytest.raises(TransitionNotAllowed) as error:
        services.referral_decline(referral=referral, by=ip_coordinator, reason="やはり対象外")

    assert error.value.current == "accepted"
    assert error.value.requested == "decline"


@pytest.mark.parametrize("who", ["colleague", "coordinator", "counselor", "exit_team"])
def test_only_the_receiving_desks_coordinator_or_a_manager_accepts(cast, yorozu_case, who):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    with translation.override("en"), pytest.raises(ActionNotPermitted, match="receiving desk"):
        services.referral_accept(referral=referral, by=getattr(cast, who))
    with pytest.raises(ActionNotPermitted):
        services.referral_decline(referral=referral, by=getattr(cast, who), reason="対象外")


def test_a_manager_may_accept_a_referral(cast, yorozu_case):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    assert services.referral_accept(referral=referral, by=cast.manager).status == "accepted"


def test_a_user_who_cannot_see_a_referral_gets_404(cast, yorozu_case):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    with pytest.raises(Http404):
        selectors.referral_get_for_user(user=cast.outsider, pk=referral.pk)
    assert selectors.referral_get_for_user(user=cast.colleague, pk=referral.pk) == referral
    assert selectors.referral_get_for_user(user=cast.counselor, pk=referral.pk) == referral


def test_only_those_who_may_refer_the_case_refer_it(cast, yorozu_case):
    with pytest.raises(ActionNotPermitted):
        refer_internal(yorozu_case, "ip", by=cast.auditor)


def test_a_closed_case_is_not_referred(cast):
    closed = case_in_state("closed", lead=cast.counselor, by=cast.coordinator)

    with pytest.raises(TransitionNotAllowed):
        refer_internal(closed, "ip", by=cast.coordinator)


def test_a_case_is_not_referred_to_its_own_desk(cast, yorozu_case):
    with pytest.raises(ValidationError) as error:
        refer_internal(yorozu_case, "yorozu", by=cast.counselor)

    assert "to_desk" in error.value.message_dict


def test_a_second_open_referral_to_the_same_desk_is_refused(cast, yorozu_case):
    refer_internal(yorozu_case, "ip", by=cast.counselor)

    with pytest.raises(ConflictError):
        refer_internal(yorozu_case, "ip", by=cast.counselor)


def test_close_is_refused_while_an_outgoing_referral_is_open(cast, yorozu_case, ip_coordinator):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    with pytest.raises(ConflictError) as error:
        case_services.case_close(
            case=yorozu_case, by=cast.counselor, reason="referred_out", summary="知財窓口へ"
        )
    assert "ip" in str(error.value) or "知財" in str(error.value)

    services.referral_accept(referral=referral, by=ip_coordinator)
    closed = case_services.case_close(
        case=yorozu_case, by=cast.counselor, reason="referred_out", summary="知財窓口へ"
    )
    assert closed.status == "closed"


def test_the_receiving_case_is_not_closed_before_the_referral_is_answered(
    cast, yorozu_case, ip_coordinator
):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    with pytest.raises(ConflictError):
        case_services.case_close(
            case=referral.created_case, by=ip_coordinator, reason="out_of_scope", summary="対象外"
        )


def test_the_receiving_desk_is_warned_of_an_open_case_for_the_client(
    cast, yorozu_case, ip_coordinator
):
    existing = case_in_state(
        "assigned",
        lead=cast.colleague,
        by=ip_coordinator,
        desk_code="ip",
        client=yorozu_case.client,
    )

    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    assert referral.existing_case == existing
    assert referral.created_case != existing
    # The ip desk sees which of its cases it is; the yorozu referrer may not see that
    # (confidential) case, so it is not named to them.
    assert policy.existing_case_shown(ip_coordinator, referral) == existing
    assert policy.existing_case_shown(cast.counselor, referral) is None


def test_a_referral_may_be_attached_to_the_open_case_instead_of_duplicating(cast, yorozu_case):
    existing = case_in_state(
        "intake", lead=cast.manager, by=cast.manager, desk_code="trade", client=yorozu_case.client
    )
    cases_before = Case.objects.count()

    referral = refer_internal(yorozu_case, "trade", by=cast.manager, attach_to_existing=True)

    assert referral.attached_to_existing
    assert referral.created_case == existing
    assert Case.objects.count() == cases_before


def test_attaching_without_an_open_case_is_a_field_error(cast, yorozu_case):
    with pytest.raises(ValidationError) as error:
        refer_internal(yorozu_case, "trade", by=cast.counselor, attach_to_existing=True)

    assert "attach_to_existing" in error.value.message_dict


def test_a_referral_back_within_30_days_is_flagged_as_a_loop(cast, yorozu_case, ip_coordinator):
    there = refer_internal(yorozu_case, "ip", by=cast.counselor)
    services.referral_accept(referral=there, by=ip_coordinator, lead_counselor=cast.colleague)
    ip_case = Case.objects.get(pk=there.created_case_id)

    back = refer_internal(ip_case, "yorozu", by=cast.colleague)

    assert back.loop_of == there
    assert there.loop_of is None


def test_a_referral_back_after_30_days_is_not_a_loop(cast, yorozu_case, ip_coordinator):
    there = refer_internal(yorozu_case, "ip", by=cast.counselor)
    services.referral_accept(referral=there, by=ip_coordinator, lead_counselor=cast.colleague)
    Referral.objects.filter(pk=there.pk).update(referred_at=timezone.now() - dt.timedelta(days=31))
    ip_case = Case.objects.get(pk=there.created_case_id)

    back = refer_internal(ip_case, "yorozu", by=cast.colleague)

    assert back.loop_of is None


def test_a_referral_to_another_desk_is_not_a_loop(cast, yorozu_case, ip_coordinator):
    there = refer_internal(yorozu_case, "ip", by=cast.counselor)
    services.referral_accept(referral=there, by=ip_coordinator, lead_counselor=cast.colleague)
    ip_case = Case.objects.get(pk=there.created_case_id)

    onward = refer_internal(ip_case, "trade", by=cast.colleague)

    assert onward.loop_of is None


def test_an_anonymous_case_is_not_referred_to_another_desk(cast):
    from casebook.accounts.models import DeskRole
    from tests.factories import member

    coordinator = member("subcontract", DeskRole.COORDINATOR, username="kakekomi")
    anonymous = case_services.case_open(
        desk=desk("subcontract"),
        client=None,
        title="匿名の取引相談",
        intake_channel="phone",
        by=coordinator,
    )

    with pytest.raises(ValidationError) as error:
        refer_internal(anonymous, "yorozu", by=coordinator)

    assert "from_case" in error.value.message_dict
