"""A session correction racing the merge of its case, with real parallel transactions on
PostgreSQL: both take the case rows before the session's, so one waits for the other, and a
correction never waits for a case while it holds another case or its session."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from casebook.common.errors import ConflictError
from casebook.intake import services
from casebook.intake.models import AccessLog
from casebook.intake.services import lifecycle
from casebook.intake.services import sessions as session_services
from tests.concurrency import run_together
from tests.factories import ClientFactory, case_in_state
from tests.intake.writers import duplicate_and_survivor, log_session, merge
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


def hold_once_reached(monkeypatch, module, name: str, *, waiting: int = 1) -> threading.Event:
    """Replace `module.name` (a step its service takes under the locks it holds) by one that
    sets the event it returns, then holds until `waiting` other transactions wait for a lock
    before it goes on."""
    step = getattr(module, name)
    reached = threading.Event()

    def held(*args, **kwargs):
        reached.set()
        wait_until_another_transaction_waits_for_a_lock(waiting)
        return step(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    return reached


def once(event: threading.Event, task):
    """`task`, started once `event` is set: after the first transaction took its locks."""

    def started_after():
        assert event.wait(WAIT_SECONDS)
        return task()

    return started_after


@pytest.fixture
def pair(cast):
    return duplicate_and_survivor(cast)


def test_a_merge_that_starts_while_a_correction_holds_its_session_waits_for_the_correction(
    cast, pair, monkeypatch
):
    duplicate, survivor = pair
    session = duplicate.sessions.get()
    corrected = timezone.localdate() + dt.timedelta(days=14)
    correcting = hold_once_reached(monkeypatch, session_services, "_validate")

    def correct():
        return services.session_update(
            session=session, by=cast.counselor, expected_version=None, follow_up_on=corrected
        )

    results, errors = run_together(
        [correct, once(correcting, lambda: merge(duplicate, survivor, by=cast.coordinator))]
    )

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
    merging = hold_once_reached(monkeypatch, lifecycle, "_merge_into")

    def correct():
        return services.session_update(
            session=session, by=cast.counselor, expected_version=None, follow_up_on=corrected
        )

    results, errors = run_together(
        [lambda: merge(duplicate, survivor, by=cast.coordinator), once(merging, correct)]
    )

    assert [(type(e), getattr(e, "code", str(e))) for e in errors] == [(ConflictError, "moved")]
    assert len(results) == 1
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
    merging = hold_once_reached(monkeypatch, lifecycle, "_merge_into", waiting=2)
    other_client = ClientFactory()

    def correct():
        return services.session_update(
            session=session, by=cast.counselor, expected_version=None, summary="訂正"
        )

    def merge_clients():
        return services.client_merge(
            survivor=other_client, absorbed=survivor.client, by=cast.coordinator
        )

    results, errors = run_together(
        [
            lambda: merge(duplicate, survivor, by=cast.coordinator),
            once(merging, correct),
            once(merging, merge_clients),
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
    merging = hold_once_reached(monkeypatch, lifecycle, "_merge_into")
    other_client = ClientFactory()

    def merge_clients():
        return services.client_merge(
            survivor=other_client, absorbed=duplicate.client, by=cast.coordinator
        )

    results, errors = run_together(
        [lambda: merge(duplicate, survivor, by=cast.coordinator), once(merging, merge_clients)]
    )

    assert errors == [] and len(results) == 2
    survivor.refresh_from_db()
    assert survivor.client_id == other_client.pk
    assert {s.client_id for s in survivor.sessions.all()} == {other_client.pk}


def test_a_client_merge_that_starts_while_a_session_is_logged_waits_for_the_session(
    cast, monkeypatch
):
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    logging = hold_once_reached(monkeypatch, session_services, "_validate")
    other_client = ClientFactory()

    def merge_clients():
        return services.client_merge(
            survivor=other_client, absorbed=case.client, by=cast.coordinator
        )

    results, errors = run_together(
        [lambda: log_session(case, cast.counselor), once(logging, merge_clients)]
    )

    assert errors == [] and len(results) == 2
    assert {s.client_id for s in case.sessions.all()} == {other_client.pk}


def held_by_the_case_lock(case, then):
    """Two transactions: one takes `lock_case(case)` and holds it until the other has run
    `then` in its own transaction (committed, or failed on `lock_timeout`: a lock it waited
    for). Returns `then`'s errors."""
    locked, done = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            services.lock_case(case.pk)
            locked.set()
            assert done.wait(WAIT_SECONDS)

    def other():
        assert locked.wait(WAIT_SECONDS)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                then()
        finally:
            done.set()

    _results, errors = run_together([hold, other])
    return errors


def test_a_row_pointing_at_a_case_is_saved_while_another_transaction_holds_the_case_lock(cast):
    """Its foreign key is checked at its commit with FOR KEY SHARE on the case row, which the
    case lock (FOR NO KEY UPDATE) leaves free; FOR UPDATE blocked it until the holder ended."""
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)

    errors = held_by_the_case_lock(
        case, lambda: AccessLog.objects.create(user=cast.counselor, case=case, via="web")
    )

    assert errors == []
    assert AccessLog.objects.filter(case=case).count() == 1


def test_a_second_taker_of_the_case_lock_still_waits_for_the_first(cast):
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)

    errors = held_by_the_case_lock(case, lambda: services.lock_case(case.pk))

    assert [type(e) for e in errors] == [OperationalError]
    assert "lock timeout" in str(errors[0])


def test_two_sessions_logged_on_one_case_at_once_are_both_saved_one_after_the_other(
    cast, monkeypatch
):
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    logging = hold_once_reached(monkeypatch, session_services, "_validate")
    later = timezone.localdate() + dt.timedelta(days=21)

    results, errors = run_together(
        [
            lambda: log_session(case, cast.counselor, hours_ago=2),
            once(logging, lambda: log_session(case, cast.counselor, follow_up_on=later)),
        ]
    )

    assert errors == [] and len(results) == 2
    case.refresh_from_db()
    assert case.sessions.count() == 2 and case.status == "active"
    assert case.next_follow_up == later
