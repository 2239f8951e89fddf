"""The report's case figures read from the counts PostgreSQL keeps as cases and their
transitions are written (`casebook/reports/case_tallies.py`; docs/performance.md, "The case
figures kept as cases are written"): the same figures as counted from the cases, for every
reader, desk and year, after closures, reopenings, imported closures, desk moves, deletions
and bulk writes, and with cases closed and moved in parallel transactions."""

from __future__ import annotations

import datetime as dt
import io
import traceback

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casebook.common.days import start_of_day
from casebook.common.fiscal import fiscal_year_of
from casebook.intake import services
from casebook.intake.models import Case, CaseTransition
from casebook.intake.services.cases import case_started
from casebook.reports.selectors import ReportFilters
from casebook.reports.selectors import cases as figures
from casebook.reports.selectors import consultations as report
from tests.concurrency import run_together
from tests.factories import CaseFactory, case_in_state, desk
from tests.markers import needs_postgres
from tests.reports.conftest import at
from tests.reports.kept_counts import assert_counts_kept

pytestmark = [needs_postgres, pytest.mark.postgres]


def _at_moment(monkeypatch, moment: dt.datetime, step) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)
    step()
    monkeypatch.undo()


@pytest.fixture
def cases(cast, monkeypatch):
    """Cases of two desks over three fiscal years, with the changes every writer makes."""
    made = {
        "closed_twice": case_in_state("assigned", lead=cast.counselor, by=cast.coordinator),
        "moved": case_in_state("assigned", lead=cast.counselor, by=cast.coordinator),
        "ip": CaseFactory(
            desk=desk("ip"), opened_at=at(2025, 9, 1), fiscal_year=2025, first_session_at=None
        ),
        "imported": CaseFactory(
            status="closed",
            opened_at=at(2025, 3, 31, 23, 59),
            fiscal_year=2024,
            first_session_at=at(2025, 4, 1, 0, 0),
            closed_at=at(2025, 8, 2),
            closure_reason="withdrawn",
            closure_summary="取り下げ",
        ),
        "later_transition": CaseFactory(
            status="closed",
            opened_at=at(2025, 5, 1),
            fiscal_year=2025,
            closed_at=at(2025, 6, 2),
            closure_reason="resolved",
            closure_summary="解決",
        ),
        "backlog": CaseFactory(opened_at=at(2023, 6, 1), fiscal_year=2023, sequence=901),
        "closed_later": CaseFactory(
            status="closed",
            opened_at=at(2025, 11, 1),
            fiscal_year=2025,
            sequence=902,
            closed_at=at(2026, 4, 1, 0, 0),
            closure_reason="resolved",
            closure_summary="解決",
        ),
        "deleted": CaseFactory(
            opened_at=at(2026, 4, 1, 0, 0), sequence=900, first_session_at=at(2026, 4, 9)
        ),
    }
    assert_counts_kept()
    first = made["closed_twice"]
    steps = [
        (at(2025, 5, 20), lambda: services.case_close(
            case=first, by=cast.coordinator, reason="unreachable", summary="連絡がつかない")),
        (at(2025, 6, 3), lambda: services.case_reopen(
            case=first, by=cast.coordinator, reason="先方から連絡があった")),
        (at(2026, 3, 31, 23, 59), lambda: services.case_close(
            case=first, by=cast.coordinator, reason="resolved", summary="資金調達に目処")),
    ]  # fmt: skip
    for moment, step in steps:
        _at_moment(monkeypatch, moment, step)
        first.refresh_from_db()
    assert_counts_kept()
    moved = made["moved"]
    _at_moment(
        monkeypatch,
        at(2025, 10, 1),
        lambda: services.case_close(
            case=moved, by=cast.coordinator, reason="referred_out", summary="他機関へ"
        ),
    )
    Case.objects.filter(pk=moved.pk).update(desk=desk("ip"))  # its closure goes with it
    case_started(
        case=made["ip"], first_session_at=at(2025, 10, 20), by=cast.manager
    )  # the first session 49 days after intake
    # An imported closure given its close transition later: the transition counts instead.
    CaseTransition.objects.create(
        case=made["later_transition"],
        action="close",
        from_status="active",
        to_status="closed",
        by=cast.manager,
        at=at(2025, 7, 15),
        closure_reason="unreachable",
    )
    assert_counts_kept()
    CaseTransition.objects.filter(case=first, at=at(2025, 5, 20)).update(
        closure_reason="withdrawn", at=at(2025, 4, 30)
    )
    CaseTransition.objects.filter(case=moved, action="close").delete()  # counts by closed_at
    made["deleted"].delete()
    assert_counts_kept()
    return made


def _figures_both_ways(user, filters: ReportFilters):
    scope = report.tally_scope(user=user, filters=filters, using="default")
    assert scope is not None, filters
    kept = figures._figures_kept(filters=filters, scope=scope, using="default")
    counted = figures._figures_counted(
        figures.report_cases(user=user, filters=filters), filters=filters
    )
    return [sorted(part) for part in kept], [sorted(part) for part in counted]


@pytest.mark.django_db
def test_the_case_figures_kept_equal_those_counted_from_the_cases(cast, cases):
    readers = [
        (cast.manager, None),
        (cast.manager, desk("yorozu")),
        (cast.manager, desk("ip")),
        (cast.coordinator, None),
        (cast.coordinator, desk("yorozu")),
    ]
    compared = 0
    for user, which in readers:
        for fiscal_year in (2024, 2025, 2026):
            kept, counted = _figures_both_ways(user, ReportFilters(fiscal_year, desk=which))
            assert kept == counted, (user, which, fiscal_year)
            compared += any(kept)
    assert compared >= 8
    _opened, closures, waits = _figures_both_ways(cast.manager, ReportFilters(2025))[0]
    assert (4, "withdrawn", 1) in closures  # the transition moved to April with its reason
    assert (3, "resolved", 1) in closures  # 31 March, 23:59 local
    assert (49, 1) in waits


@pytest.mark.django_db
def test_a_past_years_ageing_kept_equals_the_ageing_counted_from_the_cases(cast, cases):
    aged = 0
    for user, which in [(cast.manager, None), (cast.manager, desk("ip")), (cast.coordinator, None)]:
        for fiscal_year in (2023, 2024, 2025):
            filters = ReportFilters(fiscal_year, desk=which)
            scope = report.tally_scope(user=user, filters=filters, using="default")
            as_of = filters.last_day
            end_of_day = filters.ends
            rows = figures.report_cases(user=user, filters=filters)
            kept = figures._open_cases_by_age(
                rows, as_of=as_of, end_of_day=end_of_day, kept=(fiscal_year, scope)
            )
            counted = figures._open_cases_by_age(rows, as_of=as_of, end_of_day=end_of_day)
            assert kept == counted, (user, which, fiscal_year)
            aged += sum(counted.values())
    assert aged >= 8
    by_age = figures.case_report(user=cast.manager, filters=ReportFilters(2025)).aging
    # Open at the end of 31 March 2026: the backlog and the ip case (over 180 days), the case
    # closed on 1 April (150 days); the imported closures of the year were closed by then.
    assert {key: n for key, _label, n in by_age} == {"0-30": 0, "31-90": 0, "91-180": 1, "181-": 2}


@pytest.mark.django_db
def test_the_current_years_ageing_kept_equals_the_ageing_counted_unless_a_case_closes_later(
    cast, cases
):
    today = timezone.localdate()
    filters = ReportFilters(fiscal_year_of(today))
    end_of_day = start_of_day(today + dt.timedelta(days=1))
    rows = figures.report_cases(user=cast.manager, filters=filters)
    kept = figures._open_cases_by_age(rows, as_of=today, end_of_day=end_of_day, kept=(None, 0))
    counted = figures._open_cases_by_age(rows, as_of=today, end_of_day=end_of_day)
    assert kept == counted
    assert sum(counted.values()) >= 2
    with CaptureQueriesContext(connection) as queries:
        report = figures.case_report(user=cast.manager, filters=filters)
    assert sum(1 for q in queries.captured_queries if "reports_case_tally" in q["sql"]) == 2
    assert [n for *_, n in report.aging] == [counted[key] for key, *_ in figures.AGE_BUCKETS]
    # A case dated to close after today (a record so entered) was open at today's end: the
    # kept counts cannot tell, so the ageing is counted from the cases.
    CaseFactory(
        opened_at=at(2026, 5, 1),
        sequence=903,
        status="closed",
        closed_at=timezone.now() + dt.timedelta(days=3),
        closure_reason="resolved",
        closure_summary="解決",
    )
    with CaptureQueriesContext(connection) as queries:
        report = figures.case_report(user=cast.manager, filters=filters)
    assert sum(1 for q in queries.captured_queries if "reports_case_tally" in q["sql"]) == 1
    counted = figures._open_cases_by_age(rows, as_of=today, end_of_day=end_of_day)
    assert [n for *_, n in report.aging] == [counted[key] for key, *_ in figures.AGE_BUCKETS]


@pytest.mark.django_db
def test_the_case_figures_for_every_desk_read_the_kept_counts(cast, cases):
    filters = ReportFilters(2025)
    with CaptureQueriesContext(connection) as queries:
        kept = figures.case_report(user=cast.manager, filters=filters)
    tallied = [q["sql"] for q in queries.captured_queries if "reports_case_tally" in q["sql"]]
    assert len(tallied) == 2  # the figures, the ageing of the cases never closed nor reopened
    assert len(queries.captured_queries) == 3  # and the transitions of the others
    opened, closures, _waits = figures._figures_counted(
        figures.report_cases(user=cast.manager, filters=filters), filters=filters
    )
    assert kept.opened == sum(n for _month, n in opened)
    assert kept.closed == sum(n for _month, _reason, n in closures)
    assert kept.opened > 0 and kept.closed > 0


@pytest.mark.django_db
def test_truncated_transitions_leave_the_cases_counted_by_their_own_closing(cast, cases):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE intake_casetransition")
    assert_counts_kept()


@pytest.mark.django_db
def test_statements_of_many_cases_are_counted_like_one_case(cast):
    """The load generator's transaction pauses the counts and counts anew at its end; a
    statement of more cases than `tallies.BULK` afterwards is counted planned for its size."""
    call_command("generate_load", "--force", "--scale", "0.003", stdout=io.StringIO())
    assert Case.objects.count() > 500
    assert_counts_kept()
    Case.objects.update(
        opened_at=F("opened_at") - dt.timedelta(days=40),
        first_session_at=F("first_session_at") + dt.timedelta(days=1),
    )
    assert_counts_kept()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cases_closed_and_moved_in_parallel_transactions_are_each_counted_once(cast):
    """Cases closed while another transaction moves them to another desk, and new cases
    opened meanwhile: every count is exact and no writer fails (the tally writers take their
    turn, and each reads what the one before it committed)."""
    closing = [
        case_in_state("assigned", lead=cast.counselor, by=cast.coordinator) for _ in range(4)
    ]

    def close(case):
        # The manager sees the case on either desk (its coordinator would no longer once it
        # moved: the lock's read is the reader's).
        return lambda: services.case_close(
            case=case, by=cast.manager, reason="resolved", summary="解決"
        )

    def move():
        Case.objects.filter(pk__in=[case.pk for case in closing]).update(desk=desk("ip"))

    def open_one():
        case_in_state("intake", lead=cast.counselor, by=cast.coordinator)

    _results, errors = run_together([*(close(case) for case in closing), move, open_one])

    assert errors == [], "\n".join("".join(traceback.format_exception(e)) for e in errors)
    assert CaseTransition.objects.filter(action="close").count() == 4
    assert set(
        Case.objects.filter(pk__in=[c.pk for c in closing]).values_list("desk__code", flat=True)
    ) == {"ip"}
    assert_counts_kept()
