from __future__ import annotations

import pytest

from casebook.common.errors import ConflictError, StaleVersion, TransitionNotAllowed
from casebook.intake.models import Case
from casebook.referrals import services
from casebook.referrals.models import Referral
from tests.concurrency import run_together
from tests.factories import PartnerFactory, case_in_state, refer_external, refer_internal
from tests.markers import needs_postgres


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_referrals_of_one_case_to_one_desk_create_one(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)

    results, errors = run_together(
        [lambda: refer_internal(case, "ip", by=cast.counselor) for _ in range(6)]
    )

    assert len(results) == 1
    assert len(errors) == 5 and all(isinstance(e, ConflictError) for e in errors)
    assert Referral.objects.filter(from_case=case).count() == 1
    assert Case.objects.filter(desk__code="ip").count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_referral_accepted_and_declined_at_once_gets_one_answer(cast, ip_coordinator):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    referral = refer_internal(case, "ip", by=cast.counselor)

    results, errors = run_together(
        [
            lambda: services.referral_accept(referral=referral, by=ip_coordinator),
            lambda: services.referral_decline(referral=referral, by=cast.manager, reason="対象外"),
        ]
    )

    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], TransitionNotAllowed)
    referral.refresh_from_db()
    assert referral.status == results[0].status


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_answers_made_from_the_same_version_at_once_save_one(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    referral = refer_external(case, PartnerFactory(), by=cast.counselor)
    read = referral.version

    def edit(n: int) -> Referral:
        return services.referral_update_checklist(
            referral=referral, by=cast.counselor, expected_version=read, documents_passed=f"書類{n}"
        )

    results, errors = run_together(
        [lambda n=n: edit(n) for n in range(3)]
        + [
            lambda: services.referral_acknowledge(
                referral=referral, by=cast.counselor, expected_version=read
            )
        ]
    )

    # The version is checked under the row lock: whichever came first wins, the others are
    # refused as stale and change nothing.
    assert len(results) == 1
    assert len(errors) == 3 and all(isinstance(e, StaleVersion) for e in errors)
    referral.refresh_from_db()
    assert referral.version == read + 1
    assert referral.history.count() == 2
