"""Late expert reports (experts' sources) and overdue referrals (referrals' source)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from casebook.accounts.models import DeskRole
from casebook.experts.models import DispatchVisit
from casebook.experts.reminders import dispatch_titles
from casebook.intake.models import Case
from casebook.referrals.models import Referral
from tests.factories import (
    CaseFactory,
    DispatchFactory,
    ExpertFactory,
    PartnerFactory,
    UserFactory,
    desk,
    member,
    refer_external,
    refer_internal,
)
from tests.notifications.helpers import WEDNESDAY, recipients, sent_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatch_coordinator(db):
    return member("dispatch", DeskRole.COORDINATOR, username="dispatchcoord")


@pytest.fixture
def expert_login(db):
    return UserFactory(username="expert.login")


@pytest.fixture
def dispatch(cast, expert_login):
    case = CaseFactory(desk=desk("yorozu"), status="dispatch", lead_counselor=cast.counselor)
    return DispatchFactory(
        case=case,
        expert=ExpertFactory(user=expert_login),
        status="scheduled",
        approved_days=Decimal("2.0"),
        requested_by=cast.counselor,
    )


def visit(dispatch, day: dt.date, **kwargs) -> DispatchVisit:
    return DispatchVisit.objects.create(
        dispatch=dispatch, expert=dispatch.expert, date=day, day_fraction=Decimal("1.0"), **kwargs
    )


# --- visit reports ---------------------------------------------------------------------------


def test_a_visit_report_late_after_the_year_end_closure_is_reminded_on_the_day_it_is_late(
    dispatch, expert_login, dispatch_coordinator
):
    # Visit on Wed 24 Dec 2025: the 5 business days are 25, 26 Dec, 5, 6, 7 Jan; the report
    # is late from Thursday 8 January.
    visit(dispatch, dt.date(2025, 12, 24))

    assert sent_on(dt.date(2026, 1, 7), "visit_report_late") == []
    late = sent_on(dt.date(2026, 1, 8), "visit_report_late")

    assert recipients(late) == {expert_login.pk, dispatch_coordinator.pk}
    assert late[0].subject_type == "experts.dispatch"
    assert late[0].params == {"visit": "2025-12-24", "due": "2026-01-07"}


def test_a_filed_visit_report_is_not_reminded(dispatch, cast):
    from django.utils import timezone

    visit(dispatch, dt.date(2025, 12, 24), report_filed_at=timezone.now(), report="実施")

    assert sent_on(dt.date(2026, 1, 8), "visit_report_late") == []


def test_a_report_due_on_a_friday_is_reminded_on_monday(dispatch, expert_login):
    # Visit on Fri 5 June 2026: due Fri 12 June; late from Saturday, reminded Monday 15.
    visit(dispatch, dt.date(2026, 6, 5))

    assert sent_on(dt.date(2026, 6, 13), "visit_report_late") == []
    assert sent_on(dt.date(2026, 6, 14), "visit_report_late") == []
    assert expert_login.pk in recipients(sent_on(dt.date(2026, 6, 15), "visit_report_late"))


def test_the_programs_coordinators_still_hear_of_a_restricted_cases_dispatch_by_its_number(
    dispatch, expert_login, dispatch_coordinator
):
    # They follow a restricted case's dispatch from its request on, never its case file
    # (docs/exits.md, "Dispatches on the exit track"): the reminder names the dispatch only.
    Case.objects.filter(pk=dispatch.case_id).update(
        confidentiality="restricted", on_exit_track=True
    )
    visit(dispatch, dt.date(2025, 12, 24))

    late = sent_on(dt.date(2026, 1, 8), "visit_report_late")

    assert recipients(late) == {expert_login.pk, dispatch_coordinator.pk}
    titles = dispatch_titles(dispatch_coordinator, [dispatch.pk])
    assert dispatch.case.number not in titles[dispatch.pk]


# --- final reports ---------------------------------------------------------------------------


def test_a_missing_final_report_is_reminded_on_the_first_business_day_after_seven_days(
    dispatch, expert_login, dispatch_coordinator
):
    # Last visit Mon 27 April 2026: due 4 May (Golden Week); late from 5 May, reminded on the
    # first business day, Thursday 7 May.
    visit(dispatch, dt.date(2026, 4, 20), report_filed_at=dt.datetime(2026, 4, 21, tzinfo=dt.UTC))
    visit(dispatch, dt.date(2026, 4, 27), report_filed_at=dt.datetime(2026, 4, 28, tzinfo=dt.UTC))

    assert sent_on(dt.date(2026, 5, 6), "final_report_late") == []
    late = sent_on(dt.date(2026, 5, 7), "final_report_late")

    assert recipients(late) == {expert_login.pk, dispatch_coordinator.pk}
    assert late[0].params == {"last_visit": "2026-04-27", "due": "2026-05-04"}


def test_a_filed_final_report_is_not_reminded(dispatch):
    from django.utils import timezone

    visit(dispatch, dt.date(2026, 4, 27))
    type(dispatch).objects.filter(pk=dispatch.pk).update(
        final_report_at=timezone.now(), final_report="完了"
    )

    assert sent_on(dt.date(2026, 5, 7), "final_report_late") == []


# --- referrals -------------------------------------------------------------------------------


@pytest.fixture
def yorozu_case(cast):
    from tests.factories import case_in_state

    return case_in_state("active", lead=cast.counselor, by=cast.coordinator, title="商標の相談")


@pytest.fixture
def ip_coordinator(db):
    return member("ip", DeskRole.COORDINATOR, username="ipcoord2")


def due(referral: Referral, day: dt.date) -> None:
    Referral.objects.filter(pk=referral.pk).update(due_on=day)


def test_an_internal_referral_unanswered_before_golden_week_is_reminded_after_it(
    cast, yorozu_case, ip_coordinator
):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    due(referral, dt.date(2026, 5, 1))

    assert sent_on(dt.date(2026, 5, 1), "referral_overdue") == []
    assert sent_on(dt.date(2026, 5, 6), "referral_overdue") == []
    overdue = sent_on(dt.date(2026, 5, 7), "referral_overdue")

    assert recipients(overdue) == {cast.counselor.pk, ip_coordinator.pk}
    assert overdue[0].subject_type == "referrals.referral"
    assert overdue[0].params == {"stage": "answer", "due": "2026-05-01"}


def test_an_answered_referral_is_not_reminded(cast, yorozu_case, ip_coordinator):
    from casebook.referrals import services

    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    services.referral_accept(referral=referral, by=ip_coordinator)
    due(referral, day=WEDNESDAY - dt.timedelta(days=1))

    assert sent_on(WEDNESDAY, "referral_overdue") == []


def test_an_external_referral_is_reminded_of_the_acknowledgement_then_of_the_outcome(
    cast, yorozu_case
):
    from casebook.referrals import services

    referral = refer_external(yorozu_case, PartnerFactory(), by=cast.counselor)
    due(referral, dt.date(2026, 6, 9))
    acknowledgement = sent_on(WEDNESDAY, "referral_overdue")
    services.referral_acknowledge(referral=Referral.objects.get(pk=referral.pk), by=cast.counselor)
    due(referral, dt.date(2026, 6, 16))
    assert sent_on(dt.date(2026, 6, 16), "referral_overdue") == []
    outcome = sent_on(dt.date(2026, 6, 17), "referral_overdue")

    assert recipients(acknowledgement) == recipients(outcome) == {cast.counselor.pk}
    assert [acknowledgement[0].params["stage"], outcome[0].params["stage"]] == [
        "acknowledgement",
        "outcome",
    ]
