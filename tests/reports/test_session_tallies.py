"""The consultation report read from the counts PostgreSQL keeps as sessions are written
(`casebook/reports/tallies.py`; docs/performance.md, "The year's counts kept as sessions are
written"): the same report as the one counted from the sessions, for every reader and desk,
after corrections, deletions and merges, and with sessions written in parallel transactions.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from casebook.accounts.models import DeskMembership, DeskRole
from casebook.common.extensions import registry
from casebook.intake import services
from casebook.intake.models import ConsultationSession, Topic
from casebook.reports import tallies
from casebook.reports.selectors import ReportFilters
from casebook.reports.selectors import consultations as report
from tests.concurrency import run_together
from tests.factories import (
    CaseFactory,
    ClientFactory,
    OfficeFactory,
    SessionFactory,
    case_in_state,
    desk,
    member,
)
from tests.markers import needs_postgres
from tests.reports.conftest import at
from tests.reports.kept_counts import assert_counts_kept

FY = 2025


def _topics(*codes: str) -> list[Topic]:
    return list(Topic.objects.filter(code__in=codes))


@pytest.fixture
def sessions(cast):
    """Sessions of three desks over three fiscal years: the years' first and last local
    minutes, an anonymous case, a returning client, offices, modes, empty and double sets;
    then a correction, a deletion, a case moved to another desk and a client merge."""
    returning, regular, absorbed = ClientFactory(), ClientFactory(), ClientFactory()
    office = OfficeFactory(code="tsukuba")
    cases = {
        "old": CaseFactory(client=returning, opened_at=at(2024, 6, 1), fiscal_year=2024),
        "yorozu": CaseFactory(client=regular, opened_at=at(2025, 4, 2)),
        "ip": CaseFactory(client=ClientFactory(), desk=desk("ip"), opened_at=at(2025, 9, 1)),
        "anonymous": CaseFactory(client=None, desk=desk("subcontract"), opened_at=at(2025, 7, 1)),
        "absorbed": CaseFactory(client=absorbed, desk=desk("ip"), opened_at=at(2025, 5, 1)),
    }
    rows = [
        ("old", at(2024, 6, 3), "in_person_hq", None, ["finance"], [cast.counselor]),
        ("old", at(2025, 3, 31, 23, 59), "phone", None, [], [cast.counselor]),
        ("old", at(2025, 4, 1, 0, 0), "phone", None, ["finance"], []),
        ("yorozu", at(2025, 4, 10), "in_person_hq", None, ["finance", "labour"], [cast.counselor]),
        ("yorozu", at(2025, 4, 20), "online", None, ["labour"], [cast.counselor, cast.colleague]),
        ("yorozu", at(2025, 8, 5), "in_person_satellite", office, ["finance"], [cast.counselor]),
        ("anonymous", at(2025, 7, 2), "phone", None, [], [cast.colleague]),
        ("anonymous", at(2025, 7, 3), "phone", None, ["ip_patent"], [cast.colleague]),
        ("ip", at(2026, 3, 31, 23, 59), "online", None, ["finance"], [cast.colleague]),
        ("ip", at(2026, 4, 1, 0, 0), "online", None, [], [cast.colleague]),
        ("absorbed", at(2025, 5, 2), "phone", None, ["ip_patent"], [cast.colleague]),
        ("absorbed", at(2023, 5, 2), "phone", None, [], [cast.colleague]),
    ]
    made = []
    for case, started_at, mode, where, topics, counselors in rows:
        session = SessionFactory(case=cases[case], started_at=started_at, mode=mode, office=where)
        session.topics.set(_topics(*topics))
        session.counselors.set(counselors)
        made.append(session)
    assert_counts_kept()
    # A session's instant, mode and sets changed; a deletion; a case moved to another
    # desk (its sessions follow it); the absorbed client merged into the regular one.
    ConsultationSession.objects.filter(pk=made[4].pk).update(
        started_at=at(2025, 5, 20), mode="phone"
    )
    made[4].topics.set(_topics("ip_patent"))
    made[4].counselors.set([cast.colleague])
    ConsultationSession.objects.filter(pk=made[6].pk).delete()
    moved = cases["old"]
    moved.desk = desk("ip")
    moved.save(update_fields=["desk"])
    services.case_moved(case=moved, changed_fields=["desk"])
    services.client_merge(survivor=regular, absorbed=absorbed, by=cast.manager)
    assert_counts_kept()
    return made


def _both(user, filters: ReportFilters):
    scope = report.tally_scope(user=user, filters=filters, using="default")
    assert scope is not None, filters
    kept = report._report_from_tallies(filters=filters, scope=scope, using="default")
    counted = report._report_from_sessions(
        report.report_sessions(user=user, filters=filters), user=user, filters=filters
    )
    return kept, counted


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_the_report_from_the_kept_counts_equals_the_report_counted_from_the_sessions(
    cast, sessions, ip_coordinator
):
    compared = 0
    for user in (cast.manager, cast.auditor, cast.coordinator, ip_coordinator):
        for fiscal_year in (2023, 2024, 2025, 2026, 2027):
            for one in [None, *(desk(code) for code in ("yorozu", "ip", "subcontract"))]:
                filters = ReportFilters(fiscal_year, desk=one)
                if report.tally_scope(user=user, filters=filters, using="default") is None:
                    continue
                kept, counted = _both(user, filters)
                assert kept == counted, (user, filters)
                compared += 1
    # Every desk and every desk alone for the org readers, their own desk for coordinators.
    assert compared == 2 * 5 * 4 + 2 * 5 * 2
    kept, _counted = _both(cast.manager, ReportFilters(FY))
    assert (kept.total, kept.unique_clients, kept.new_clients) == (7, 3, 1)


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_the_report_for_every_desk_or_one_reads_no_session(cast, sessions):
    for user, filters in (
        (cast.manager, ReportFilters(FY)),
        (cast.manager, ReportFilters(FY, desk=desk("ip"))),
        (cast.coordinator, ReportFilters(FY)),
    ):
        report.consultation_report(user=user, filters=filters)  # the login's rules, once
        with CaptureQueriesContext(connection) as queries:
            report.consultation_report(user=user, filters=filters)
        statements = [query["sql"] for query in queries.captured_queries]
        assert len(statements) == 2, statements
        read = " ".join(statements)
        assert "intake_consultationsession" not in read and "intake_session_sets" not in read


@pytest.mark.django_db
def test_a_filter_other_than_the_desk_or_a_reader_of_several_desks_counts_the_sessions(
    cast, sessions
):
    both = member("ip", DeskRole.COORDINATOR, username="two-desks")
    DeskMembership.objects.create(user=both, desk=desk("subcontract"), role=DeskRole.COORDINATOR)
    postgres = connection.vendor == "postgresql"
    for user, filters, kept in (
        (cast.manager, ReportFilters(FY), postgres),
        (cast.manager, ReportFilters(FY, mode="phone"), False),
        (cast.manager, ReportFilters(FY, office=sessions[5].office), False),
        (cast.manager, ReportFilters(FY, topic=_topics("finance")[0]), False),
        (cast.manager, ReportFilters(FY, counselor=cast.counselor), False),
        (cast.coordinator, ReportFilters(FY, desk=desk("ip")), False),
        (both, ReportFilters(FY), False),
        (both, ReportFilters(FY, desk=desk("ip")), postgres),
    ):
        scope = report.tally_scope(user=user, filters=filters, using="default")
        assert (scope is not None) == kept, (user, filters)


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_session_tallies_finds_counts_that_differ_and_rebuild_counts_anew(cast, sessions):
    out = io.StringIO()
    call_command("session_tallies", stdout=out)
    assert "the kept counts equal the sessions and cases" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reports_session_tally SET sessions = sessions + 1 WHERE kind = 1")
        cursor.execute("DELETE FROM reports_client_first_session")
    out = io.StringIO()
    with pytest.raises(CommandError, match="--rebuild"):
        call_command("session_tallies", stdout=out)
    # The three clients' first sessions are missing; the months' rows differ both ways.
    assert "reports_session_tally_client: 0 row(s) differ" in out.getvalue()
    assert "reports_client_first_session: 3 row(s) differ" in out.getvalue()
    call_command("session_tallies", "--rebuild", stdout=io.StringIO())
    assert_counts_kept()


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sessions_written_in_parallel_transactions_are_each_counted_once(cast):
    """Sessions logged on four cases at once, while another transaction corrects the sets of
    earlier sessions and a third merges two clients: every count is exact and no writer
    fails (the tally writers take their turn, so none waits for another in a cycle)."""
    cases = [case_in_state("assigned", lead=cast.counselor, by=cast.coordinator) for _ in range(4)]
    earlier = [SessionFactory(case=cases[0]) for _ in range(3)]
    survivor, absorbed = ClientFactory(), ClientFactory()
    SessionFactory(case=CaseFactory(client=survivor))
    SessionFactory(case=CaseFactory(client=absorbed, desk=desk("ip")))

    def log(case):
        def logged():
            for hours in (1, 2, 3):
                services.session_log(
                    case=case,
                    by=cast.counselor,
                    started_at=at(2026, 11, 2) - dt.timedelta(hours=hours),
                    duration_minutes=30,
                    mode="phone",
                    summary="並行の記録",
                    topics=["finance", "labour"],
                )

        return logged

    def correct():
        for session in earlier:
            session.topics.set(_topics("ip_patent"))
            session.counselors.set([cast.colleague, cast.counselor])

    def merge():
        services.client_merge(survivor=survivor, absorbed=absorbed, by=cast.manager)

    _results, errors = run_together([*(log(case) for case in cases), correct, merge])

    assert errors == []
    assert ConsultationSession.objects.count() == 4 * 3 + 3 + 2
    assert_counts_kept()


@pytest.mark.django_db
def test_session_tallies_says_that_nothing_is_kept_on_another_database():
    out = io.StringIO()
    call_command("session_tallies", stdout=out)
    if connection.vendor == "postgresql":
        assert "the kept counts equal the sessions and cases" in out.getvalue()
    else:
        assert "nothing is kept on this database" in out.getvalue()


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_bulk_write_is_not_counted_as_it_lands_but_counted_anew_after_its_last_row(cast):
    """generate_load's transaction pauses the counts (`registry.bulk_write`): its sessions
    are counted once, after its last row, and a session written after it counts as it lands."""
    SessionFactory(case=CaseFactory(opened_at=at(2025, 5, 1)), started_at=at(2025, 5, 2))
    with transaction.atomic(), registry.bulk_write(connection):
        SessionFactory(case=CaseFactory(opened_at=at(2025, 6, 1)), started_at=at(2025, 6, 2))
        assert tallies.differences(connection)["reports_session_tally"] > 0
    assert_counts_kept()
    SessionFactory(case=CaseFactory(opened_at=at(2025, 7, 1)), started_at=at(2025, 7, 2))
    assert_counts_kept()


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_bulk_write_that_fails_leaves_the_counts_counting(cast):
    with pytest.raises(ZeroDivisionError), transaction.atomic(), registry.bulk_write(connection):
        SessionFactory(case=CaseFactory(opened_at=at(2025, 6, 1)), started_at=at(2025, 6, 2))
        _ = 1 / 0
    SessionFactory(case=CaseFactory(opened_at=at(2025, 7, 1)), started_at=at(2025, 7, 2))
    assert_counts_kept()
    assert ConsultationSession.objects.count() == 1


def test_a_bulk_write_needs_its_own_transaction():
    # No database access: the check comes before anything is paused.
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"), registry.bulk_write(connection):
        pass
