"""Reminders of the exit track (docs/notifications.md): milestones due, legal deadlines near."""

from __future__ import annotations

import datetime as dt

import pytest

from casebook.common.calendar import business_day_on_or_before
from casebook.common.extensions import registry
from casebook.exits import services
from casebook.exits.models import Milestone
from tests.factories import exit_candidate, on_exit_track

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 6, 8)


def collected(kind: str, first_day: dt.date, today: dt.date) -> list:
    return list(registry.reminder_sources[kind].collect(first_day, today))


def test_a_milestone_due_today_reminds_its_owner_and_the_plans_owner(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    milestone = plan.milestones.get(code="initial_diagnosis")
    services.milestone_update(milestone=milestone, by=cast.exit_team, owner=cast.counselor)
    Milestone.objects.filter(pk=milestone.pk).update(due_on=MONDAY)

    [reminder] = collected("exit_milestone_due", MONDAY, MONDAY)

    assert reminder.subject == plan.case
    assert reminder.recipient_ids == {cast.counselor.pk, cast.exit_team.pk}
    assert reminder.params["milestone"] == "初期診断"
    assert "初期診断" in registry.reminder_sources["exit_milestone_due"].text(
        plan.case.number, reminder.params
    )


def test_a_milestone_due_on_a_sunday_reminds_on_the_monday_and_done_ones_never(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    Milestone.objects.filter(plan=plan, code="initial_diagnosis").update(
        due_on=MONDAY - dt.timedelta(days=1)
    )
    Milestone.objects.filter(plan=plan, code="financial_review").update(
        due_on=MONDAY, completed_on=MONDAY
    )
    assert not collected(
        "exit_milestone_due", MONDAY - dt.timedelta(days=1), MONDAY - dt.timedelta(days=1)
    )
    [reminder] = collected("exit_milestone_due", MONDAY, MONDAY)
    assert reminder.due_on == MONDAY


def test_a_legal_deadline_is_reminded_a_week_ahead_to_the_lead_counselor_too(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    services.exit_plan_update(
        plan=plan, by=cast.exit_team, dissolution_resolved_on=dt.date(2026, 6, 3)
    )
    deadline = dt.date(2026, 6, 17)
    day = business_day_on_or_before(deadline - dt.timedelta(days=7))

    [reminder] = collected("exit_legal_deadline", day, day)

    assert reminder.params["date"] == deadline.isoformat()
    assert cast.counselor.pk in reminder.recipient_ids


def test_a_case_off_the_track_is_reminded_of_nothing(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    Milestone.objects.filter(plan=plan, code="initial_diagnosis").update(due_on=MONDAY)
    services.exit_track_take_off(plan=plan, by=cast.exit_team, reason="事業継続")
    assert not collected("exit_milestone_due", MONDAY, MONDAY)
