"""A referral that shares the referring file fills intake's table of case shares on every path
that starts or ends the share, so the case policy reads the same answer the referrals give."""

from __future__ import annotations

from casebook.intake.models import CaseShare
from casebook.referrals import services
from casebook.referrals.models import Referral
from tests.factories import PartnerFactory, case_in_state, refer_external, refer_internal


def shares_of(referral: Referral) -> list[tuple[int, int]]:
    rows = CaseShare.objects.filter(source=services.share_source(referral))
    return list(rows.values_list("case_id", "desk_id"))


def sharing_referrals() -> set[tuple[int, int]]:
    """What the table must hold: the referring case and the receiving desk of every internal
    referral that shares the file and is still pending or accepted."""
    return set(
        Referral.objects.filter(
            kind="internal", share_full_file=True, status__in=("pending", "accepted")
        ).values_list("from_case_id", "to_desk_id")
    )


def test_a_referral_that_shares_the_file_starts_a_share_with_the_receiving_desk(cast, yorozu_case):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor, share_full_file=True)

    assert shares_of(referral) == [(yorozu_case.pk, referral.to_desk_id)]


def test_a_referral_that_does_not_share_starts_none(cast, yorozu_case):
    internal = refer_internal(yorozu_case, "ip", by=cast.counselor)
    external = refer_external(yorozu_case, PartnerFactory(), by=cast.counselor)

    assert shares_of(internal) == shares_of(external) == []


def test_accepting_keeps_the_share_and_declining_ends_it(cast, yorozu_case, ip_coordinator):
    accepted = refer_internal(yorozu_case, "ip", by=cast.counselor, share_full_file=True)
    other = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    declined = refer_internal(other, "ip", by=cast.counselor, share_full_file=True)

    services.referral_accept(referral=accepted, by=ip_coordinator)
    services.referral_decline(referral=declined, by=ip_coordinator, reason="対象外")

    assert shares_of(accepted) == [(yorozu_case.pk, accepted.to_desk_id)]
    assert shares_of(declined) == []


def test_an_attached_referral_shares_like_any_other(cast, yorozu_case):
    existing = case_in_state(
        "intake", lead=cast.manager, by=cast.manager, desk_code="trade", client=yorozu_case.client
    )

    referral = refer_internal(
        yorozu_case, "trade", by=cast.manager, attach_to_existing=True, share_full_file=True
    )

    assert referral.created_case == existing
    assert shares_of(referral) == [(yorozu_case.pk, referral.to_desk_id)]


def test_the_share_table_always_says_what_the_referrals_say(cast, ip_coordinator):
    cases = [case_in_state("active", lead=cast.counselor, by=cast.coordinator) for _ in range(4)]
    made = [
        refer_internal(case, "ip", by=cast.counselor, share_full_file=n % 2 == 0)
        for n, case in enumerate(cases)
    ]
    services.referral_accept(referral=made[0], by=ip_coordinator)
    services.referral_decline(referral=made[2], by=ip_coordinator, reason="対象外")
    services.referral_decline(referral=made[3], by=ip_coordinator, reason="対象外")
    refer_external(cases[1], PartnerFactory(), by=cast.counselor)

    in_table = set(CaseShare.objects.values_list("case_id", "desk_id"))
    assert in_table == sharing_referrals() == {(cases[0].pk, made[0].to_desk_id)}
