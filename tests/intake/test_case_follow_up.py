"""A case's `next_follow_up` is its latest session's follow-up date, whoever writes the
sessions: logging, correcting, merging, the admin, closing and reopening."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from casebook.intake import selectors, services
from casebook.intake.models import Case
from casebook.intake.selectors.cases import cases_apart_from_their_follow_up
from tests.factories import case_in_state, duplicate_closed_into_survivor
from tests.intake.writers import (
    delete_in_admin,
    duplicate_and_survivor,
    log_session,
    merge,
    save_in_admin,
)


def days_from_today(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def follow_up_of(case: Case) -> dt.date | None:
    return Case.objects.values_list("next_follow_up", flat=True).get(pk=case.pk)


@pytest.fixture
def case(cast):
    return case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)


def test_a_case_without_sessions_has_no_follow_up(cast, case):
    assert follow_up_of(case) is None


def test_logging_a_session_gives_the_case_its_follow_up(cast, case):
    log_session(case, cast.counselor, hours_ago=2, follow_up_on=days_from_today(7))
    assert follow_up_of(case) == days_from_today(7)


def test_a_later_session_without_a_follow_up_clears_it(cast, case):
    log_session(case, cast.counselor, hours_ago=48, follow_up_on=days_from_today(7))
    log_session(case, cast.counselor, hours_ago=1, follow_up_on=None)
    assert follow_up_of(case) is None


def test_a_session_logged_for_an_earlier_day_leaves_the_latest_ones_follow_up(cast, case):
    log_session(case, cast.counselor, hours_ago=1, follow_up_on=days_from_today(7))
    log_session(case, cast.counselor, hours_ago=72, follow_up_on=days_from_today(2))
    assert follow_up_of(case) == days_from_today(7)
    assert not cases_apart_from_their_follow_up().exists()


def test_correcting_the_latest_sessions_follow_up_moves_the_cases(cast, case):
    session = log_session(case, cast.counselor, hours_ago=1, follow_up_on=days_from_today(7))
    services.session_update(
        session=session,
        by=cast.counselor,
        expected_version=session.version,
        follow_up_on=days_from_today(3),
    )
    assert follow_up_of(case) == days_from_today(3)


def test_moving_a_session_before_another_makes_the_other_the_latest(cast, case):
    earlier = log_session(case, cast.counselor, hours_ago=48, follow_up_on=days_from_today(2))
    later = log_session(case, cast.counselor, hours_ago=1, follow_up_on=days_from_today(9))
    services.session_update(
        session=later,
        by=cast.counselor,
        expected_version=later.version,
        started_at=earlier.started_at - dt.timedelta(hours=1),
    )
    assert follow_up_of(case) == days_from_today(2)


def test_a_merge_gives_the_survivor_the_follow_up_of_the_latest_session_of_both(cast):
    duplicate, survivor = duplicate_and_survivor(cast)
    log_session(survivor, cast.counselor, hours_ago=48, follow_up_on=days_from_today(2))
    log_session(duplicate, cast.counselor, hours_ago=1, follow_up_on=days_from_today(5))
    merge(duplicate, survivor, by=cast.coordinator)
    assert follow_up_of(survivor) == days_from_today(5)
    assert follow_up_of(duplicate) is None
    assert not cases_apart_from_their_follow_up().exists()


def test_a_merge_without_follow_ups_leaves_both_without(cast):
    duplicate, survivor = duplicate_closed_into_survivor(lead=cast.counselor, by=cast.coordinator)
    assert follow_up_of(duplicate) is None and follow_up_of(survivor) is None


def test_a_closed_case_keeps_its_follow_up_and_is_due_again_once_reopened(cast, case):
    log_session(case, cast.counselor, hours_ago=48, follow_up_on=days_from_today(-1))
    services.case_close(case=case, by=cast.coordinator, reason="resolved", summary="解決")
    mine = selectors.my_open_cases(user=cast.counselor)
    assert case.pk not in [row["id"] for row in selectors.overdue_follow_ups(cases=mine)]
    services.case_reopen(case=case, by=cast.coordinator, reason="再相談")
    mine = selectors.my_open_cases(user=cast.counselor)
    assert [row["id"] for row in selectors.overdue_follow_ups(cases=mine)] == [case.pk]
    assert follow_up_of(case) == days_from_today(-1)


def test_the_admin_keeps_the_follow_up_when_a_session_is_moved_or_deleted(cast, case):
    other = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    log_session(case, cast.counselor, hours_ago=48, follow_up_on=days_from_today(2))
    latest = log_session(case, cast.counselor, hours_ago=1, follow_up_on=days_from_today(6))
    latest.case = other
    save_in_admin(latest, by=cast.manager, changed=["case"])
    assert follow_up_of(case) == days_from_today(2)
    assert follow_up_of(other) == days_from_today(6)
    delete_in_admin(latest, by=cast.manager)
    assert follow_up_of(other) is None
    assert not cases_apart_from_their_follow_up().exists()


def test_the_migration_fills_every_case_from_its_latest_session(cast, case):
    other = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    log_session(case, cast.counselor, hours_ago=48, follow_up_on=days_from_today(2))
    log_session(case, cast.counselor, hours_ago=1, follow_up_on=days_from_today(6))
    log_session(other, cast.counselor, hours_ago=1, follow_up_on=None)
    Case.objects.update(next_follow_up=None)
    migration = importlib.import_module("casebook.intake.migrations.0019_case_next_follow_up")
    # The statements as the migration's schema editor runs them, inside the test's transaction.
    editor = SimpleNamespace(
        connection=connection,
        execute=lambda sql, params=(): connection.cursor().execute(sql, params),
    )
    migration.fill_next_follow_up(apps, editor)
    assert follow_up_of(case) == days_from_today(6)
    assert follow_up_of(other) is None
    assert not cases_apart_from_their_follow_up().exists()
