"""A session correction racing the merge of its case, with real parallel transactions on
PostgreSQL: both take the case rows before the session's, so one waits for the other, and a
correction never waits for a case while it holds another case or its session."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from casebook.common.errors import ConflictError
from casebook.intake import services
from casebook.intake.services import lifecycle
from casebook.intake.services import sessions as session_services
from tests.concurrency import run_together
from tests.factories import ClientFactory, case_in_state
from tests.intake.writers import duplicate_and_survivor, merge
from tests.markers import needs_postgres

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WAIT_SECONDS = 5


def wait_until_another_transaction_waits_for_a_lock(waiting: int = 1) -> None:
    """Return once `waiting` other transactions wait for a lock (or after WAIT_SECONDS): the
    other threads have reached the locks this one holds. `pg_locks` is read afresh by each
    query."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0] >= waiting:
                return
        time.sleep(0.02)


@pytest.fixture
def pair(cast):
    return duplicate_and_survivor(cast)


def test_a_merge_that_starts_while_a_correction_holds_its_session_waits_for_the_correction(
    cast, pair, monkeypatch
):
    duplicate, survivor = pair
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
        return merge(duplicate, survivor, by=cast.coordinator)

    results, errors = run_together([correct, merge_once_correcting])

    assert errors == [] and len(results) == 2
    session.refresh_from_db()
    survivor.refresh_from_db()
    assert session.case_id == survivor.pk and session.follow_up_on == corrected
    assert survivor.next_follow_up == corrected


def test_a_correction_that_starts_while_a_merge_holds_its_case_is_refused_once_the_session_moved(
    cast, pair, monkeypatch
):
    duplicate, survivor = pair
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
        [lambda: merge(duplicate, survivor, by=cast.coordinator), correct_once_merging]
    )

    assert len(results) == 1 and [(type(e), e.code) for e in errors] == [(ConflictError, "moved")]
    session.refresh_from_db()
    assert session.case_id == survivor.pk and session.follow_up_on != corrected


def test_a_correction_of_a_session_moved_to_an_older_case_leaves_a_client_merge_of_both_cases_free(
    cast, monkeypatch
):
    """The survivor is the older case: a correction that, once the merge committed, held the
    duplicate and its session and then waited for the survivor met a client merge that had
    taken the survivor (the clients' cases in id order) and waited for the duplicate."""
    survivor = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    duplicate = case_in_state(
        "active", lead=cast.counselor, by=cast.coordinator, client=survivor.client
    )
    assert survivor.pk < duplicate.pk
    session = duplicate.sessions.get()
    merging = threading.Event()
    merge_into = lifecycle._merge_into

    def merge_into_once_both_others_wait(*args, **kwargs):
        merging.set()
        wait_until_another_transaction_waits_for_a_lock(waiting=2)
        return merge_into(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "_merge_into", merge_into_once_both_others_wait)
    other_client = ClientFactory()

    def correct_once_merging():
        assert merging.wait(WAIT_SECONDS)
        return services.session_update(
            session=session, by=cast.counselor, expected_version=None, summary="訂正"
        )

    def merge_clients_once_merging():
        assert merging.wait(WAIT_SECONDS)
        return services.client_merge(
            survivor=other_client, absorbed=survivor.client, by=cast.coordinator
        )

    results, errors = run_together(
        [
            lambda: merge(duplicate, survivor, by=cast.coordinator),
            correct_once_merging,
            merge_clients_once_merging,
        ]
    )

    assert [(type(e), getattr(e, "code", str(e))) for e in errors] == [(ConflictError, "moved")]
    assert len(results) == 2
    session.refresh_from_db()
    assert session.case_id == survivor.pk and session.client_id == other_client.pk
    assert session.summary != "訂正"


def test_a_client_merge_that_starts_while_a_case_merge_holds_the_clients_cases_waits_for_it(
    cast, pair, monkeypatch
):
    """The case merge checks its rows' keys to their client at its commit (FOR KEY SHARE):
    a client merge that held the client FOR UPDATE while it waited for the cases blocked it."""
    duplicate, survivor = pair
    merging = threading.Event()
    merge_into = lifecycle._merge_into

    def merge_into_once_the_client_merge_waits(*args, **kwargs):
        merging.set()
        wait_until_another_transaction_waits_for_a_lock()
        return merge_into(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "_merge_into", merge_into_once_the_client_merge_waits)
    other_client = ClientFactory()

    def merge_clients_once_merging():
        assert merging.wait(WAIT_SECONDS)
        return services.client_merge(
            survivor=other_client, absorbed=duplicate.client, by=cast.coordinator
        )

    results, errors = run_together(
        [lambda: merge(duplicate, survivor, by=cast.coordinator), merge_clients_once_merging]
    )

    assert errors == [] and len(results) == 2
    survivor.refresh_from_db()
    assert survivor.client_id == other_client.pk
    assert {s.client_id for s in survivor.sessions.all()} == {other_client.pk}


def test_a_client_merge_that_starts_while_a_session_is_logged_waits_for_the_session(
    cast, monkeypatch
):
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    logging = threading.Event()
    validate = session_services._validate

    def validate_once_the_client_merge_waits(**fields):
        logging.set()
        wait_until_another_transaction_waits_for_a_lock()
        return validate(**fields)

    monkeypatch.setattr(session_services, "_validate", validate_once_the_client_merge_waits)
    other_client = ClientFactory()

    def log():
        return services.session_log(
            case=case,
            by=cast.counselor,
            started_at=timezone.now() - dt.timedelta(hours=1),
            duration_minutes=60,
            mode="phone",
            summary="資金繰り",
        )

    def merge_clients_once_logging():
        assert logging.wait(WAIT_SECONDS)
        return services.client_merge(
            survivor=other_client, absorbed=case.client, by=cast.coordinator
        )

    results, errors = run_together([log, merge_clients_once_logging])

    assert errors == [] and len(results) == 2
    assert {s.client_id for s in case.sessions.all()} == {other_client.pk}
