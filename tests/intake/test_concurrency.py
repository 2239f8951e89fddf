"""A session correction racing the merge of its case, with real parallel transactions on
PostgreSQL: both take the case rows before the session's, so one waits for the other."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from casebook.intake import services
from casebook.intake.services import lifecycle
from casebook.intake.services import sessions as session_services
from tests.concurrency import run_together
from tests.factories import case_in_state
from tests.markers import needs_postgres

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WAIT_SECONDS = 5


def wait_until_another_transaction_waits_for_a_lock() -> None:
    """Return once some transaction waits for a lock (or after WAIT_SECONDS): the other
    thread has reached the lock this one holds. `pg_locks` is read afresh by each query."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)


@pytest.fixture
def duplicate_and_survivor(cast):
    duplicate = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    survivor = case_in_state(
        "assigned", lead=cast.counselor, by=cast.coordinator, client=duplicate.client
    )
    return duplicate, survivor


def merge(duplicate, survivor, by):
    return services.case_close(
        case=duplicate, by=by, reason="duplicate", summary="重複登録", duplicate_of=survivor
    )


def test_a_merge_that_starts_while_a_correction_holds_its_session_waits_for_the_correction(
    cast, duplicate_and_survivor, monkeypatch
):
    duplicate, survivor = duplicate_and_survivor
    session = duplicate.sessions.get()
    corrected = timezone.localdate() + dt.timedelta(days=14)
    correcting = threading.Event()
    validate = session_services._validate

    def validate_once_the_merge_waits(**fields):
        correcting.set()
        wait_until_another_transaction_waits_for_a_lock()
        return validate(**fields)

    monkeypatch.setattr(session_services, "_validate", validate_once_the_merge_waits)

    def correct():
        return services.session_update(
            session=session, by=cast.counselor, expected_version=None, follow_up_on=corrected
        )

    def merge_once_correcting():
        assert correcting.wait(WAIT_SECONDS)
        return merge(duplicate, survivor, cast.coordinator)

    results, errors = run_together([correct, merge_once_correcting])

    assert errors == [] and len(results) == 2
    session.refresh_from_db()
    survivor.refresh_from_db()
    assert session.case_id == survivor.pk and session.follow_up_on == corrected
    assert survivor.next_follow_up == corrected


def test_a_correction_that_starts_while_a_merge_holds_its_case_corrects_the_moved_session(
    cast, duplicate_and_survivor, monkeypatch
):
    duplicate, survivor = duplicate_and_survivor
    session = duplicate.sessions.get()
    corrected = timezone.localdate() + dt.timedelta(days=14)
    merging = threading.Event()
    merge_into = lifecycle._merge_into

    def merge_into_once_the_correction_waits(*args, **kwargs):
        merging.set()
        wait_until_another_transaction_waits_for_a_lock()
        return merge_into(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "_merge_into", merge_into_once_the_correction_waits)

    def correct_once_merging():
        assert merging.wait(WAIT_SECONDS)
        return services.session_update(
            session=session, by=cast.counselor, expected_version=None, follow_up_on=corrected
        )

    results, errors = run_together(
        [lambda: merge(duplicate, survivor, cast.coordinator), correct_once_merging]
    )

    assert errors == [] and len(results) == 2
    session.refresh_from_db()
    survivor.refresh_from_db()
    assert session.case_id == survivor.pk and session.follow_up_on == corrected
    assert survivor.next_follow_up == corrected
