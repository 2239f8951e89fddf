"""Every answer to a referral goes one way: locked, checked (role, state, the version the
caller read), saved with one history row, announced after the commit."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from casebook.common.errors import StaleVersion
from casebook.referrals import services
from casebook.referrals.models import Referral
from tests.factories import PartnerFactory, refer_external, refer_internal

Answer = Callable[..., Referral]


def answers(cast, ip_coordinator) -> dict[str, tuple[str, Answer]]:
    """name -> (the kind of referral it answers, the call)."""
    return {
        "accept": (
            "internal",
            lambda r, **kw: services.referral_accept(referral=r, by=ip_coordinator, **kw),
        ),
        "decline": (
            "internal",
            lambda r, **kw: services.referral_decline(
                referral=r, by=ip_coordinator, reason="対象外", **kw
            ),
        ),
        "acknowledge": (
            "external",
            lambda r, **kw: services.referral_acknowledge(referral=r, by=cast.counselor, **kw),
        ),
        "report_outcome": (
            "external",
            lambda r, **kw: services.referral_report_outcome(
                referral=r, by=cast.counselor, outcome="商談成立", **kw
            ),
        ),
        "checklist": (
            "external",
            lambda r, **kw: services.referral_update_checklist(
                referral=r, by=cast.counselor, documents_passed="決算書", **kw
            ),
        ),
    }


def make(kind: str, case, cast) -> Referral:
    if kind == "internal":
        return refer_internal(case, "ip", by=cast.counselor)
    return refer_external(case, PartnerFactory(), by=cast.counselor)


NAMES = ["accept", "decline", "acknowledge", "report_outcome", "checklist"]


@pytest.mark.parametrize("name", NAMES)
def test_an_answer_writes_one_history_row_naming_who_answered(
    cast, yorozu_case, ip_coordinator, name
):
    kind, answer = answers(cast, ip_coordinator)[name]
    referral = make(kind, yorozu_case, cast)

    answered = answer(referral, expected_version=referral.version)

    assert answered.version == referral.version + 1
    assert referral.history.count() == 2
    latest = referral.history.first()
    assert latest.history_user_id in (ip_coordinator.pk, cast.counselor.pk)
    assert latest.version == answered.version


@pytest.mark.parametrize("name", NAMES)
def test_an_answer_against_an_older_version_changes_nothing(
    cast, yorozu_case, ip_coordinator, name
):
    kind, answer = answers(cast, ip_coordinator)[name]
    referral = make(kind, yorozu_case, cast)
    before = Referral.objects.values().get(pk=referral.pk)

    with pytest.raises(StaleVersion):
        answer(referral, expected_version=referral.version - 1)

    assert Referral.objects.values().get(pk=referral.pk) == before
    assert referral.history.count() == 1


def test_an_answer_is_announced_only_once_it_is_committed(
    cast, yorozu_case, ip_coordinator, inbox, django_capture_on_commit_callbacks
):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    before_commit = inbox(cast.counselor.pk)

    with django_capture_on_commit_callbacks(execute=False) as scheduled:
        services.referral_accept(referral=referral, by=ip_coordinator)
    # (Each inbox is drained once: a Redis channel layer binds a channel to one event loop.)
    assert before_commit.kinds() == []

    after_commit = inbox(cast.counselor.pk)
    for callback in scheduled:
        callback()
    assert after_commit.kinds() == ["referral_accepted"]


def test_accepting_with_a_lead_answers_with_the_case_assigned(cast, yorozu_case, ip_coordinator):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    answered = services.referral_accept(
        referral=referral, by=ip_coordinator, lead_counselor=cast.colleague
    )

    # The object the service returns is what the API renders: it is up to date.
    assert answered.created_case.status == "assigned"
    assert answered.created_case.lead_counselor == cast.colleague
