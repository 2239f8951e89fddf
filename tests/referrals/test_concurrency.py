from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import close_old_connections

from casebook.common.errors import ConflictError, TransitionNotAllowed
from casebook.intake.models import Case
from casebook.referrals import services
from casebook.referrals.models import Referral
from tests.factories import case_in_state, refer_internal
from tests.markers import needs_postgres


def run_together(tasks: list[Callable[[], object]]) -> tuple[list[object], list[BaseException]]:
    barrier = threading.Barrier(len(tasks))
    results: list[object] = []
    errors: list[BaseException] = []

    def run(task: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(task())
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


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
