"""The referrals policy: what each screen offers on a referral, who sees a desk's referrals,
what a row shows of its cases; the query form and the single-object answers agree."""

from __future__ import annotations

import pytest
from django.utils import translation

from casebook.accounts.models import DeskRole
from casebook.common.errors import ActionNotPermitted, TransitionNotAllowed
from casebook.intake import policy as case_policy
from casebook.intake.models import Case
from casebook.referrals import policy, selectors, services
from tests.factories import (
    ExpertFactory,
    PartnerFactory,
    UserFactory,
    case_in_state,
    member,
    refer_external,
    refer_internal,
)


def test_the_receiving_coordinator_is_offered_accept_and_decline_while_it_waits(
    cast, yorozu_case, ip_coordinator
):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    assert policy.offered_actions(ip_coordinator, referral) == {"accept", "decline"}
    assert policy.offered_actions(cast.colleague, referral) == frozenset()
    # The referrer keeps the hand-off checklist; a manager may do both.
    assert policy.offered_actions(cast.counselor, referral) == {"checklist"}
    assert policy.offered_actions(cast.manager, referral) == {"accept", "decline", "checklist"}

    answered = services.referral_accept(referral=referral, by=ip_coordinator)

    assert policy.offered_actions(ip_coordinator, answered) == frozenset()


def test_the_referrer_is_offered_the_partners_replies_in_their_order(cast, yorozu_case):
    referral = refer_external(yorozu_case, PartnerFactory(), by=cast.counselor)
    everything = {"acknowledge", "report_outcome", "checklist"}

    assert policy.offered_actions(cast.counselor, referral) == everything
    assert policy.offered_actions(cast.colleague, referral) == frozenset()
    assert policy.offered_actions(cast.auditor, referral) == frozenset()

    referral = services.referral_acknowledge(referral=referral, by=cast.counselor)
    assert policy.offered_actions(cast.counselor, referral) == {"report_outcome", "checklist"}

    referral = services.referral_report_outcome(referral=referral, by=cast.counselor, outcome="済")
    assert policy.offered_actions(cast.counselor, referral) == {"checklist"}


def test_an_answer_not_offered_is_403_for_the_role_and_409_for_the_state(
    cast, yorozu_case, ip_coordinator
):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    with translation.override("en"), pytest.raises(ActionNotPermitted, match="receiving desk"):
        policy.require_offered(cast.colleague, referral, "accept")
    referral = services.referral_accept(referral=referral, by=ip_coordinator)
    with pytest.raises(TransitionNotAllowed) as refused:
        policy.require_offered(ip_coordinator, referral, "decline")

    assert (refused.value.current, refused.value.requested) == ("accepted", "decline")
    assert refused.value.current_label and refused.value.requested_label


def test_an_external_referral_is_never_accepted_even_by_a_manager(cast, yorozu_case):
    referral = refer_external(yorozu_case, PartnerFactory(), by=cast.counselor)

    assert not policy.can(cast.manager, policy.ReferralAction.ACCEPT, referral)
    assert not policy.can(cast.manager, policy.ReferralAction.DECLINE, referral)


@pytest.mark.parametrize("who", ["no_desk_role", "expert"])
def test_a_login_without_a_desk_role_gets_404_on_every_desks_referrals(client, cast, who):
    user = UserFactory(username=who)
    if who == "expert":
        ExpertFactory(user=user)
    client.force_login(user)

    for code in ("yorozu", "ip", "trade"):
        assert client.get(f"/referrals/desks/{code}/").status_code == 404
    assert client.get("/referrals/").status_code == 404
    assert client.get("/referrals/partners/").status_code == 404


def test_a_desk_member_sees_their_desks_referrals_and_not_another_desks(client, cast):
    client.force_login(cast.colleague)

    assert client.get("/referrals/desks/ip/").status_code == 200
    assert client.get("/referrals/desks/yorozu/").status_code == 404
    client.force_login(cast.auditor)
    assert client.get("/referrals/desks/yorozu/").status_code == 200


def test_the_rows_of_a_list_agree_with_the_single_object_answers(cast, yorozu_case):
    shared = refer_internal(yorozu_case, "ip", by=cast.counselor, share_full_file=True)
    other = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    summary_only = refer_internal(other, "ip", by=cast.counselor)
    boeki = member("trade", DeskRole.COORDINATOR, username="boeki")

    for user in (cast.colleague, cast.counselor, cast.manager, cast.auditor, boeki):
        for row in selectors.referral_list_for_user(user=user):
            fresh = type(row).objects.get(pk=row.pk)  # no notes: asks the case policy
            assert policy.can_see_full_file(user, row) == policy.can_see_full_file(user, fresh)
            assert policy.can_see_created_case(user, row) == policy.can_see_created_case(
                user, fresh
            )
            assert policy.existing_case_shown(user, row) == policy.existing_case_shown(user, fresh)
    rows = {r.pk: r for r in selectors.referral_list_for_user(user=cast.colleague)}
    assert policy.can_see_full_file(cast.colleague, rows[shared.pk])
    assert not policy.can_see_full_file(cast.colleague, rows[summary_only.pk])
    assert not selectors.referral_list_for_user(user=boeki).exists()


def test_a_restricted_cases_client_is_named_only_to_those_who_may_see_the_case(cast):
    restricted = case_in_state("active", lead=cast.exit_team, by=cast.coordinator)
    Case.objects.filter(pk=restricted.pk).update(confidentiality="restricted", on_exit_track=True)
    restricted.refresh_from_db()
    referral = refer_internal(restricted, "ip", by=cast.exit_team)

    assert policy.client_name_shown(cast.exit_team, referral) == restricted.client.name
    assert policy.client_name_shown(cast.manager, referral) == restricted.client.name
    assert policy.client_name_shown(cast.colleague, referral) == ""
    assert policy.cases_read_through(cast.colleague, referral) == [referral.created_case]


def test_only_a_normal_case_leaves_its_desk(cast, yorozu_case):
    assert policy.case_is_shareable(yorozu_case)
    for confidentiality in ("confidential", "restricted"):
        yorozu_case.confidentiality = confidentiality
        assert not policy.case_is_shareable(yorozu_case)


def test_the_reports_are_read_by_managers_auditors_and_coordinators(cast):
    readers = [cast.manager, cast.auditor, cast.coordinator]
    others = [cast.counselor, cast.colleague, cast.exit_team, cast.outsider]

    assert all(policy.may_read_reports(user) for user in readers)
    assert not any(policy.may_read_reports(user) for user in others)


def test_the_referral_policy_builds_on_the_case_policys_visibility(cast, yorozu_case):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor, share_full_file=True)

    # The share is the case policy's: the referral's full file is exactly the case it shows.
    assert case_policy.can_see_case(cast.colleague, yorozu_case)
    assert policy.can_see_full_file(cast.colleague, referral)
