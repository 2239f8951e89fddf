"""Putting a case on the exit track and taking it off; its plan and milestones
(docs/rules.md, "Exit track"; docs/exits.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casebook.common.errors import ActionNotPermitted, ConflictError, StaleVersion
from casebook.exits import services
from casebook.exits.models import ExitTrackDecision, Milestone, MilestoneTemplate
from casebook.intake import policy as case_policy
from casebook.intake.models import CaseShare
from tests.factories import exit_candidate, on_exit_track, refer_internal

pytestmark = pytest.mark.django_db


def test_a_case_put_on_the_track_becomes_restricted_with_its_plan_and_the_decision(cast):
    case = exit_candidate(cast)
    history_rows = case.history.count()

    plan = on_exit_track(case, by=cast.coordinator, path="succession_family", reason="後継者不在")

    case.refresh_from_db()
    assert case.on_exit_track and case.confidentiality == "restricted"
    assert plan.path == "succession_family" and plan.owner is None
    decision = ExitTrackDecision.objects.get(case=case)
    assert decision.on_track and decision.reason == "後継者不在" and decision.by == cast.coordinator
    codes = list(plan.milestones.values_list("code", flat=True))
    assert codes == list(
        MilestoneTemplate.objects.filter(path="succession_family").values_list("code", flat=True)
    )
    assert "partner_referral" in codes and "guarantor_guideline" in codes
    assert case.history.count() == history_rows + 1
    assert case.history.first().history_change_reason == "後継者不在"


def test_once_restricted_the_case_is_out_of_sight_of_its_desk_but_not_of_the_team(cast):
    case = exit_candidate(cast)
    on_exit_track(case, by=cast.coordinator)
    case.refresh_from_db()

    assert not case_policy.can_see_case(cast.coordinator, case)
    assert not case_policy.can_see_case(cast.auditor, case)
    assert not case_policy.can_see_case(cast.colleague, case)
    for user in (cast.exit_team, cast.counselor, cast.manager):
        assert case_policy.can_see_case(user, case)


def test_its_referrals_stop_sharing_its_file(cast):
    case = exit_candidate(cast)
    refer_internal(case, "ip", by=cast.counselor, share_full_file=True)
    assert CaseShare.objects.filter(case=case).exists()

    on_exit_track(case, by=cast.exit_team)

    assert not CaseShare.objects.filter(case=case).exists()


def test_putting_a_case_on_the_track_needs_a_reason_a_path_and_an_eligible_yorozu_case(cast):
    case = exit_candidate(cast, topics=["marketing"])
    with pytest.raises(ValidationError) as error:
        services.exit_track_put_on(case=case, by=cast.manager, path="sideways", reason=" ")
    assert set(error.value.error_dict) == {"reason", "path", "case"}
    case.refresh_from_db()
    assert case.confidentiality == "normal" and not case.on_exit_track
    assert not ExitTrackDecision.objects.exists()


def test_a_counselor_may_not_put_a_case_on_the_track(cast):
    with pytest.raises(ActionNotPermitted):
        on_exit_track(exit_candidate(cast), by=cast.counselor)


def test_a_case_goes_on_the_track_once(cast):
    case = exit_candidate(cast)
    on_exit_track(case, by=cast.exit_team)
    with pytest.raises(ConflictError):
        on_exit_track(case, by=cast.exit_team)


def test_taking_a_case_off_the_track_restores_its_level_and_records_the_decision(cast):
    case = exit_candidate(cast)
    plan = on_exit_track(case, by=cast.exit_team)

    plan = services.exit_track_take_off(plan=plan, by=cast.exit_team, reason="事業継続が決定")

    case.refresh_from_db()
    assert not case.on_exit_track and case.confidentiality == "normal"
    assert not plan.on_track
    assert list(ExitTrackDecision.objects.values_list("on_track", "reason")) == [
        (True, "廃業の意向"),
        (False, "事業継続が決定"),
    ]
    assert case_policy.can_see_case(cast.coordinator, case)


def test_only_the_team_or_a_manager_takes_a_case_off_the_track(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    with pytest.raises(ActionNotPermitted):
        services.exit_track_take_off(plan=plan, by=cast.counselor, reason="x")


def test_a_plans_milestones_are_made_exactly_once_even_when_the_case_comes_back(cast):
    case = exit_candidate(cast)
    plan = on_exit_track(case, by=cast.exit_team)
    made = Milestone.objects.filter(plan=plan).count()
    assert made == MilestoneTemplate.objects.filter(path="orderly_closure").count()

    services.exit_track_take_off(plan=plan, by=cast.exit_team, reason="保留")
    again = on_exit_track(case, by=cast.exit_team, reason="再度")

    assert again.pk == plan.pk
    assert Milestone.objects.filter(plan=plan).count() == made


def test_entering_the_closure_dates_computes_the_legal_deadlines_and_flags_a_breach(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    registration = plan.milestones.get(code="dissolution_registration")
    services.milestone_update(
        milestone=registration, by=cast.exit_team, due_on=dt.date(2026, 6, 30)
    )
    tax_return = plan.milestones.get(code="final_tax_return")
    services.milestone_update(milestone=tax_return, by=cast.exit_team, due_on=dt.date(2026, 7, 31))

    plan = services.exit_plan_update(
        plan=plan,
        by=cast.exit_team,
        expected_version=plan.version,
        dissolution_resolved_on=dt.date(2026, 6, 3),
    )

    registration.refresh_from_db()
    assert registration.legal_deadline == dt.date(2026, 6, 17)
    assert registration.breaks_deadline
    plan.refresh_from_db()
    assert plan.deadline_breaches == 1

    registration = services.milestone_update(
        milestone=registration, by=cast.exit_team, due_on=dt.date(2026, 6, 15)
    )
    plan.refresh_from_db()
    assert plan.deadline_breaches == 0


def test_changing_the_resolution_date_recomputes_the_deadline(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    plan = services.exit_plan_update(
        plan=plan, by=cast.exit_team, dissolution_resolved_on=dt.date(2026, 6, 3)
    )
    plan = services.exit_plan_update(
        plan=plan, by=cast.exit_team, dissolution_resolved_on=dt.date(2026, 6, 10)
    )
    assert plan.milestones.get(code="dissolution_registration").legal_deadline == dt.date(
        2026, 6, 24
    )


def test_debt_settlement_planned_within_the_creditors_period_breaks_it(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    settlement = plan.milestones.get(code="debt_settlement")
    services.milestone_update(milestone=settlement, by=cast.exit_team, due_on=dt.date(2026, 8, 10))
    services.exit_plan_update(plan=plan, by=cast.exit_team, gazette_notice_on=dt.date(2026, 6, 10))
    settlement.refresh_from_db()
    assert settlement.legal_deadline == dt.date(2026, 8, 10) and settlement.breaks_deadline


def test_a_plan_edited_from_an_old_version_is_refused(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    read = plan.version
    services.exit_plan_update(plan=plan, by=cast.exit_team, expected_version=read, stage="planning")
    with pytest.raises(StaleVersion):
        services.exit_plan_update(
            plan=plan, by=cast.exit_team, expected_version=read, stage="execution"
        )


def test_unknown_risk_flags_and_dates_out_of_order_are_refused_by_field(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    with pytest.raises(ValidationError) as error:
        services.exit_plan_update(
            plan=plan,
            by=cast.exit_team,
            risk_flags=["excess_debt", "bad_luck"],
            dissolution_resolved_on=dt.date(2026, 6, 3),
            gazette_notice_on=dt.date(2026, 6, 1),
        )
    assert set(error.value.error_dict) == {"risk_flags", "gazette_notice_on"}
    plan.refresh_from_db()
    assert plan.risk_flags == [] and plan.dissolution_resolved_on is None


def test_completing_and_reopening_a_milestone(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    milestone = plan.milestones.get(code="initial_diagnosis")
    milestone = services.milestone_complete(milestone=milestone, by=cast.counselor, note="済")
    assert milestone.completed_on == timezone.localdate() and milestone.note == "済"
    with pytest.raises(ConflictError):
        services.milestone_complete(milestone=milestone, by=cast.counselor)
    milestone = services.milestone_reopen(milestone=milestone, by=cast.exit_team)
    assert milestone.completed_on is None
    assert milestone.history.count() == 3
