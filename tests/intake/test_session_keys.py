"""Each session carries its case's desk, client and confidentiality (docs/performance.md,
"The FY KPI report", "The small desk's sessions"): every write that creates a session, moves
a case to another desk or client or changes its confidentiality keeps them equal, and
`manage.py check_session_keys` finds and repairs any that are not."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from casebook.exits import services as exit_services
from casebook.intake import services
from casebook.intake.models import Case, Client, ConsultationSession
from casebook.intake.selectors.sessions import sessions_apart_from_their_case
from tests.factories import (
    CaseFactory,
    ClientFactory,
    SessionFactory,
    case_in_state,
    desk,
    duplicate_closed_into_survivor,
    exit_candidate,
    on_exit_track,
)
from tests.intake.writers import duplicate_and_survivor, log_session, merge, save_in_admin
from tests.markers import needs_postgres


def keys(session: ConsultationSession) -> tuple[int, int | None, str]:
    session.refresh_from_db()
    return session.desk_id, session.client_id, session.case_confidentiality


def case_keys(case: Case) -> tuple[int, int | None, str]:
    case.refresh_from_db()
    return case.desk_id, case.client_id, case.confidentiality


def test_a_logged_session_carries_its_cases_desk_and_client(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    session = log_session(case, cast.counselor)
    assert keys(session) == case_keys(case)
    assert keys(session)[1] is not None
    assert not sessions_apart_from_their_case().exists()


def test_the_sessions_of_a_duplicate_take_the_surviving_cases_keys(cast):
    _, survivor = duplicate_closed_into_survivor(lead=cast.counselor, by=cast.coordinator)
    moved = survivor.sessions.get()
    assert keys(moved) == case_keys(survivor)
    assert not sessions_apart_from_their_case().exists()


def test_a_client_merge_gives_each_moved_session_the_keys_of_its_own_case(cast):
    """The absorbed client's cases are on different desks and of different confidentiality:
    each case's sessions take that case's desk and confidentiality and the survivor, not
    another moved case's keys (the copy writes one UPDATE per set of keys)."""
    survivor, absorbed = ClientFactory(), ClientFactory()
    cases = [
        CaseFactory(client=absorbed, desk=desk("yorozu"), confidentiality="normal"),
        CaseFactory(client=absorbed, desk=desk("ip"), confidentiality="confidential"),
        CaseFactory(client=absorbed, desk=desk("subcontract"), confidentiality="normal"),
        CaseFactory(client=absorbed, desk=desk("yorozu"), confidentiality="confidential"),
    ]
    sessions = {case.pk: [SessionFactory(case=case) for _ in range(2)] for case in cases}
    untouched = SessionFactory(case=CaseFactory(client=ClientFactory(), desk=desk("ip")))
    services.client_merge(survivor=survivor, absorbed=absorbed, by=cast.manager)
    assert not Client.objects.filter(pk=absorbed.pk).exists()
    assert keys(untouched) == case_keys(untouched.case)
    for case in cases:
        expected = (case.desk_id, survivor.pk, case.confidentiality)
        assert case_keys(case) == expected
        assert [keys(session) for session in sessions[case.pk]] == [expected, expected]
    assert not sessions_apart_from_their_case().exists()


@pytest.mark.parametrize("field", ["desk", "client", "confidentiality"])
def test_a_case_moved_in_the_admin_takes_its_sessions_along(cast, field):
    case = CaseFactory(client=ClientFactory())
    sessions = [SessionFactory(case=case) for _ in range(2)]
    before = keys(sessions[0])
    if field == "desk":
        case.desk = desk("ip")
    elif field == "client":
        case.client = ClientFactory()
    else:
        case.confidentiality = "restricted"
    save_in_admin(case, by=cast.manager, changed=[field])
    for session in sessions:
        assert keys(session) == case_keys(case) != before
    assert not sessions_apart_from_their_case().exists()


def test_a_case_edit_that_keeps_its_desk_and_client_writes_no_session(
    cast, django_assert_max_num_queries
):
    case = CaseFactory(client=ClientFactory())
    SessionFactory(case=case)
    case.title = "資金繰り(改題)"
    with django_assert_max_num_queries(2) as captured:  # the savepoint and its release
        assert services.case_moved(case=case, changed_fields=["title"]) == 0
    assert not [query for query in captured.captured_queries if "UPDATE" in query["sql"]]


def test_a_session_added_or_moved_in_the_admin_takes_its_cases_keys(cast):
    first, second = CaseFactory(client=ClientFactory()), CaseFactory(desk=desk("subcontract"))
    second.client = None
    second.save(update_fields=["client"])
    session = SessionFactory.build(case=first, desk=None, client=None)
    save_in_admin(session, by=cast.manager, changed=[], change=False)
    assert keys(session) == case_keys(first)
    session.case = second
    save_in_admin(session, by=cast.manager, changed=["case"])
    assert keys(session) == (desk("subcontract").pk, None, "normal")


@pytest.mark.parametrize(
    "change",
    [
        {"desk_id": "other_desk"},
        {"client_id": "other_client"},
        {"client_id": None},
        {"case_confidentiality": "restricted"},
    ],
)
def test_the_check_finds_a_session_apart_from_its_case_and_repair_copies_the_cases_keys(
    cast, change
):
    case = CaseFactory(client=ClientFactory())
    session, kept = SessionFactory(case=case), SessionFactory()
    values = {
        name: {"other_desk": desk("ip").pk, "other_client": ClientFactory().pk}.get(value, value)
        for name, value in change.items()
    }
    ConsultationSession.objects.filter(pk=session.pk).update(**values)
    assert list(sessions_apart_from_their_case()) == [session]
    with pytest.raises(CommandError):
        call_command("check_session_keys", stdout=StringIO())
    out = StringIO()
    call_command("check_session_keys", "--repair", stdout=out)
    assert "repaired 1 session(s)" in out.getvalue()
    assert keys(session) == case_keys(case)
    assert keys(kept) == case_keys(kept.case)
    out = StringIO()
    call_command("check_session_keys", stdout=out)
    assert "every session carries" in out.getvalue()


@needs_postgres
def test_the_repair_locks_the_cases_as_the_case_lock_does_leaving_their_keys_free(cast):
    session = SessionFactory(case=CaseFactory(client=ClientFactory()))
    ConsultationSession.objects.filter(pk=session.pk).update(desk=desk("ip"))
    with CaptureQueriesContext(connection) as queries:
        call_command("check_session_keys", "--repair", stdout=StringIO())
    (lock,) = [q["sql"] for q in queries if " FOR " in q["sql"]]
    assert lock.endswith('FOR NO KEY UPDATE OF "intake_case"')


def test_the_check_finds_a_session_given_a_client_its_anonymous_case_does_not_have(cast):
    case = CaseFactory(client=None, desk=desk("subcontract"))
    session = SessionFactory(case=case)
    assert not sessions_apart_from_their_case().exists()
    ConsultationSession.objects.filter(pk=session.pk).update(client=ClientFactory())
    assert list(sessions_apart_from_their_case()) == [session]


def test_the_sessions_api_filters_a_moved_cases_sessions_by_its_new_desk(cast):
    case = CaseFactory(client=ClientFactory())
    session = SessionFactory(case=case)
    case.desk = desk("ip")
    save_in_admin(case, by=cast.manager, changed=["desk"])
    api = APIClient()
    api.force_authenticate(cast.manager)

    def listed(code: str) -> list[int]:
        response = api.get(f"/api/v1/sessions/?desk={code}")
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert listed("ip") == [session.pk]
    assert listed("yorozu") == []


def test_a_case_edit_of_its_confidentiality_takes_its_sessions_along(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    session = case.sessions.get()
    other = SessionFactory()
    case = services.case_update(
        case=case, by=cast.counselor, expected_version=case.version, confidentiality="confidential"
    )
    assert keys(session) == case_keys(case)
    assert keys(session)[2] == "confidential"
    assert keys(other)[2] == "normal"
    assert session.history.count() == 1  # the copy is no part of the session's record
    assert not sessions_apart_from_their_case().exists()


def test_the_exit_track_restricts_the_cases_sessions_and_lifts_them_again(cast):
    case = exit_candidate(cast)
    sessions = SessionFactory.create_batch(2, case=case)
    plan = on_exit_track(case, by=cast.coordinator)
    assert {keys(session)[2] for session in sessions} == {"restricted"}
    assert not sessions_apart_from_their_case().exists()
    exit_services.exit_track_take_off(plan=plan, by=cast.exit_team, reason="計画を中止")
    assert {keys(session)[2] for session in sessions} == {"normal"}
    assert not sessions_apart_from_their_case().exists()


def test_a_duplicates_sessions_take_the_more_confidential_survivors_confidentiality(cast):
    duplicate, survivor = duplicate_and_survivor(cast, survivor={"confidentiality": "confidential"})
    moved = duplicate.sessions.get()
    assert keys(moved)[2] == "normal"
    merge(duplicate, survivor, by=cast.coordinator)
    assert keys(moved) == case_keys(survivor)
    assert keys(moved)[2] == "confidential"
    assert not sessions_apart_from_their_case().exists()


def test_a_session_logged_on_a_confidential_case_carries_it(cast):
    case = case_in_state(
        "active", lead=cast.counselor, by=cast.coordinator, confidentiality="confidential"
    )
    session = log_session(case, cast.counselor)
    assert keys(session)[2] == "confidential" == keys(case.sessions.earliest("pk"))[2]
    assert not sessions_apart_from_their_case().exists()
