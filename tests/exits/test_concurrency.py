"""The exit track under concurrent use, with real parallel transactions on PostgreSQL."""

from __future__ import annotations

import pytest

from casebook.common.errors import ConflictError, StaleVersion
from casebook.exits import services
from casebook.exits.models import ExitPlan, ExitTrackDecision, Milestone, MilestoneTemplate
from tests.factories import exit_candidate, on_exit_track
from tests.markers import needs_postgres
from tests.referrals.test_concurrency import run_together

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_case_put_on_the_track_by_several_people_at_once_gets_one_plan_and_one_set_of_milestones(
    cast,
):
    case = exit_candidate(cast)

    results, errors = run_together(
        [lambda user=user: on_exit_track(case, by=user) for user in (cast.exit_team, cast.manager)]
        * 2
    )

    assert len(results) == 1
    assert len(errors) == 3 and all(isinstance(e, ConflictError) for e in errors)
    plan = ExitPlan.objects.get(case=case)
    expected = MilestoneTemplate.objects.filter(path="orderly_closure").count()
    assert Milestone.objects.filter(plan=plan).count() == expected
    assert ExitTrackDecision.objects.filter(case=case).count() == 1


def test_two_edits_of_one_plan_from_the_same_version_save_one(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    read = plan.version

    def edit(stage: str):
        return services.exit_plan_update(
            plan=plan, by=cast.exit_team, expected_version=read, stage=stage
        )

    results, errors = run_together([lambda: edit("planning"), lambda: edit("execution")])

    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], StaleVersion)
    plan.refresh_from_db()
    assert plan.version == read + 1 and plan.stage == results[0].stage
