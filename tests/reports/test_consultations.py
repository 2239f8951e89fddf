from __future__ import annotations

import datetime as dt
from collections import Counter
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone

from casebook.intake import services
from casebook.intake.models import Case, ConsultationSession, SessionMode, Topic
from casebook.reports import selectors
from casebook.reports.selectors import ReportFilters
from tests.factories import (
    CaseFactory,
    ClientFactory,
    OfficeFactory,
    SessionFactory,
    UserFactory,
    desk,
)
from tests.reports.conftest import at

FY = 2025  # 1 April 2025 – 31 March 2026, a fiscal year gone by


@pytest.fixture
def records(cast):
    """Sessions of several desks, offices, modes, topics and counselors around FY2025, one of
    them on a restricted case and one on an anonymous subcontract case."""
    regular, returning, late = ClientFactory(), ClientFactory(), ClientFactory()
    office = OfficeFactory(code="tsukuba")
    yorozu_case = CaseFactory(client=regular, opened_at=at(2025, 4, 2))
    old_case = CaseFactory(client=returning, opened_at=at(2024, 6, 1), fiscal_year=2024)
    ip_case = CaseFactory(client=late, desk=desk("ip"), opened_at=at(2025, 9, 1))
    restricted = CaseFactory(
        client=ClientFactory(),
        confidentiality="restricted",
        on_exit_track=True,
        title="廃業の相談（限定）",
        opened_at=at(2025, 5, 1),
    )
    anonymous = CaseFactory(client=None, desk=desk("subcontract"), opened_at=at(2025, 7, 1))
    finance, labour = Topic.objects.get(code="finance"), Topic.objects.get(code="labour")
    rows = [
        (old_case, at(2024, 6, 3), "in_person_hq", None, [finance]),  # before the year
        (old_case, at(2025, 3, 31, 23, 59), "phone", None, []),  # the last minute of FY2024
        (old_case, at(2025, 4, 1, 0, 0), "phone", None, [finance]),  # the first of FY2025
        (yorozu_case, at(2025, 4, 10), "in_person_hq", None, [finance, labour]),
        (yorozu_case, at(2025, 4, 20), "online", None, [labour]),
        (yorozu_case, at(2025, 8, 5), "in_person_satellite", office, [finance]),
        (restricted, at(2025, 5, 15), "in_person_hq", None, []),
        (anonymous, at(2025, 7, 2), "phone", None, []),
        (ip_case, at(2026, 3, 31, 23, 59), "online", None, [finance]),  # the year's last minute
        (ip_case, at(2026, 4, 1, 0, 0), "online", None, []),  # FY2026
    ]
    sessions = []
    for case, started_at, mode, where, topics in rows:
        session = SessionFactory(case=case, started_at=started_at, mode=mode, office=where)
        session.topics.set(topics)
        session.counselors.set([cast.counselor if case.desk.code != "ip" else cast.colleague])
        sessions.append(session)
    return sessions


def in_fy(session: ConsultationSession, fiscal_year: int = FY) -> bool:
    day = timezone.localtime(session.started_at).date()
    return dt.date(fiscal_year, 4, 1) <= day <= dt.date(fiscal_year + 1, 3, 31)


def test_the_consultation_count_is_the_number_of_sessions_of_the_fiscal_year(cast, records):
    report = selectors.consultation_report(user=cast.manager, filters=ReportFilters(FY))

    counted = [s for s in records if in_fy(s)]
    assert report.total == len(counted) == 7
    clients = {s.case.client_id for s in counted if s.case.client_id}
    assert report.unique_clients == len(clients)


def test_a_new_client_is_one_whose_first_session_ever_falls_in_the_year(cast, records):
    report = selectors.consultation_report(user=cast.manager, filters=ReportFilters(FY))

    first_ever: dict[int, dt.datetime] = {}
    for session in ConsultationSession.objects.select_related("case"):
        client = session.case.client_id
        if client and (client not in first_ever or session.started_at < first_ever[client]):
            first_ever[client] = session.started_at
    counted_clients = {s.case.client_id for s in records if in_fy(s) and s.case.client_id}
    new = [
        first_ever[c]
        for c in counted_clients
        if dt.date(FY, 4, 1) <= timezone.localtime(first_ever[c]).date()
    ]
    assert report.new_clients == len(new) == 3  # the returning client came in FY2024
    by_month = Counter(timezone.localtime(first).strftime("%Y-%m") for first in new)
    assert {
        row.month.strftime("%Y-%m"): row.new_clients for row in report.by_month if row.new_clients
    } == dict(by_month)


def test_the_months_run_april_to_march_and_1_april_starts_the_year(cast, records):
    report = selectors.consultation_report(user=cast.manager, filters=ReportFilters(FY))

    assert report.by_month[0].month == dt.date(2025, 4, 1)
    assert report.by_month[-1].month == dt.date(2026, 3, 1)
    expected = Counter(
        timezone.localtime(s.started_at).strftime("%Y-%m") for s in records if in_fy(s)
    )
    assert {r.month.strftime("%Y-%m"): r.total for r in report.by_month if r.total} == dict(
        expected
    )
    assert report.filters.label == "2025年度（令和7年度）"
    previous = selectors.consultation_report(user=cast.manager, filters=ReportFilters(FY - 1))
    assert previous.total == 2  # June 2024 and 31 March 2025 at 23:59


def test_a_session_counts_in_the_local_month_it_began_in_across_every_month_boundary(cast):
    """The first and last minutes of each local month (midnight in Tokyo is 15:00 UTC the day
    before): each counts in its own month, wherever the boundary falls in UTC."""
    case = CaseFactory(client=ClientFactory(), opened_at=at(2025, 4, 1, 0, 0))
    months = ReportFilters(FY).months()
    expected: Counter[str] = Counter()
    for first, following in zip(months, [*months[1:], dt.date(FY + 1, 4, 1)], strict=True):
        last_day = following - dt.timedelta(days=1)
        for started_at in (
            at(first.year, first.month, 1, 0, 0),
            at(last_day.year, last_day.month, last_day.day, 23, 59),
        ):
            SessionFactory(case=case, started_at=started_at)
            expected[first.strftime("%Y-%m")] += 1

    report = selectors.consultation_report(user=cast.manager, filters=ReportFilters(FY))

    assert {row.month.strftime("%Y-%m"): row.total for row in report.by_month} == dict(expected)
    assert all(row.unique_clients == 1 for row in report.by_month)
    assert [row.new_clients for row in report.by_month] == [1] + [0] * 11


def test_the_breakdowns_count_each_session_once_per_desk_mode_office_topic_and_counselor(
    cast, records
):
    report = selectors.consultation_report(user=cast.manager, filters=ReportFilters(FY))
    counted = [s for s in records if in_fy(s)]

    assert {r.key: r.total for r in report.by_desk} == dict(
        Counter(s.case.desk.code for s in counted)
    )
    assert {r.key: r.total for r in report.by_mode} == dict(Counter(s.mode for s in counted))
    assert {r.key: r.total for r in report.by_office} == dict(
        Counter(s.office.code if s.office else "" for s in counted)
    )
    topics = Counter(t.code for s in counted for t in s.topics.all())
    topics.update({"": sum(1 for s in counted if not s.topics.exists())})
    assert {r.key: r.total for r in report.by_topic} == dict(topics)
    assert {r.key: r.total for r in report.by_counselor} == dict(
        Counter(str(p.pk) for s in counted for p in s.counselors.all())
    )


def test_modes_of_as_many_sessions_are_listed_by_their_label(cast):
    case = CaseFactory(client=ClientFactory(), opened_at=at(2025, 4, 1, 9, 0))
    for mode in (SessionMode.PHONE, SessionMode.ONLINE, SessionMode.EMAIL):
        SessionFactory(case=case, started_at=at(2025, 5, 1, 10, 0), mode=mode)

    report = selectors.consultation_report(user=cast.manager, filters=ReportFilters(FY))

    modes = (SessionMode.PHONE, SessionMode.ONLINE, SessionMode.EMAIL)
    assert [row.label for row in report.by_mode] == sorted(str(mode.label) for mode in modes)
    assert {row.key for row in report.by_mode} == {"phone", "online", "email"}


def test_each_breakdown_row_names_its_key_and_counts_its_distinct_clients(cast, records):
    report = selectors.consultation_report(user=cast.manager, filters=ReportFilters(FY))
    counted = [s for s in records if in_fy(s)]

    def clients(keys_of) -> dict[str, int]:
        seen: dict[str, set[int]] = {}
        for s in counted:
            for key in keys_of(s):
                seen.setdefault(key, set())
                if s.case.client_id:
                    seen[key].add(s.case.client_id)
        return {key: len(ids) for key, ids in seen.items()}

    topics = {t.code: t.name for t in Topic.objects.all()}
    assert {r.key: (r.label, r.unique_clients) for r in report.by_topic} == {
        key: (topics.get(key, ""), n)
        for key, n in clients(lambda s: [t.code for t in s.topics.all()] or [""]).items()
    }
    names = {str(p.pk): p.display_name for p in (cast.counselor, cast.colleague)}
    assert {r.key: (r.label, r.unique_clients) for r in report.by_counselor} == {
        key: (names[key], n)
        for key, n in clients(lambda s: [str(p.pk) for p in s.counselors.all()]).items()
    }
    assert {r.key: (r.label, r.unique_clients) for r in report.by_desk} == {
        code: (desk(code).name, n) for code, n in clients(lambda s: [s.case.desk.code]).items()
    }
    assert {r.key: r.label for r in report.by_office} == {"": "", "tsukuba": records[5].office.name}


def test_the_planner_settings_of_the_breakdowns_hold_for_them_and_do_not_outlast_the_report(
    cast, records
):
    """The breakdowns turn the planner's hash and merge joins off and give their aggregates
    more memory for their own statements only (docs/performance.md, "The FY KPI report");
    this test runs in a transaction, as a caller's would."""
    from django.db import connection

    from casebook.reports.selectors.consultations import (
        PLANNER_SETTINGS,
        _report_from_sessions,
        report_sessions,
    )

    names = list(PLANNER_SETTINGS)
    read = "SELECT " + ", ".join(f"current_setting('{name}')" for name in names)

    def settings() -> tuple[str, ...] | None:
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(read)
            return cursor.fetchone()

    during: list[tuple[str, ...]] = []

    def breakdowns(execute, sql, params, many, context):
        if connection.vendor == "postgresql" and "per_client" in sql:
            context["cursor"].execute(read)
            during.append(context["cursor"].fetchone())
        return execute(sql, params, many, context)

    before = settings()
    filters = ReportFilters(FY)
    # Counted from the sessions (the report with no filter reads the kept counts instead).
    with connection.execute_wrapper(breakdowns):
        report = _report_from_sessions(
            report_sessions(user=cast.manager, filters=filters), user=cast.manager, filters=filters
        )

    assert report.by_topic and report.by_counselor
    assert settings() == before
    if connection.vendor == "postgresql":
        # month, desk, office, mode, topic, counselor
        assert during == [tuple(PLANNER_SETTINGS[name] for name in names)] * 6
        assert before != during[0]


def test_the_filters_narrow_the_sessions_counted(cast, records):
    def total(**kwargs) -> int:
        filters = ReportFilters(FY, **kwargs)
        return selectors.consultation_report(user=cast.manager, filters=filters).total

    assert total(desk=desk("ip")) == 1
    assert total(mode="phone") == 2
    assert total(office=records[5].office) == 1
    assert total(topic=Topic.objects.get(code="labour")) == 2
    assert total(counselor=cast.colleague) == 1
    assert total(counselor=UserFactory()) == 0


def test_restricted_cases_are_counted_in_the_totals_of_every_reader(cast, records):
    for reader in (cast.manager, cast.auditor, cast.coordinator):
        report = selectors.consultation_report(user=reader, filters=ReportFilters(FY))
        assert report.by_month[1].total == 1  # May: the restricted case's session


def test_a_coordinator_reads_the_figures_of_their_desks_only(cast, records, ip_coordinator):
    report = selectors.consultation_report(user=ip_coordinator, filters=ReportFilters(FY))

    assert report.total == 1
    assert [row.key for row in report.by_desk] == ["ip"]


def _expected_clients(records) -> tuple[int, int]:
    """The unique and new clients of FY, recomputed from each session's case as it is now."""
    first_ever: dict[int, dt.datetime] = {}
    for session in ConsultationSession.objects.select_related("case"):
        client = session.case.client_id
        if client and (client not in first_ever or session.started_at < first_ever[client]):
            first_ever[client] = session.started_at
    counted = {
        s.case.client_id
        for s in ConsultationSession.objects.select_related("case")
        if in_fy(s) and s.case.client_id
    }
    new = [c for c in counted if dt.date(FY, 4, 1) <= timezone.localtime(first_ever[c]).date()]
    return len(counted), len(new)


def test_a_case_moved_to_another_desk_counts_its_sessions_at_that_desk(
    cast, records, ip_coordinator
):
    moved = records[3].case  # the yorozu case, three sessions in the year
    moved.desk = desk("ip")
    request = RequestFactory().post("/admin/")
    request.user = cast.manager
    # The admin is where a case changes desk (docs/performance.md, "The FY KPI report").
    admin.site._registry[Case].save_model(
        request, moved, SimpleNamespace(changed_data=["desk"]), True
    )
    report = selectors.consultation_report(user=cast.manager, filters=ReportFilters(FY))

    counted = [s for s in ConsultationSession.objects.select_related("case__desk") if in_fy(s)]
    assert {r.key: r.total for r in report.by_desk} == dict(
        Counter(s.case.desk.code for s in counted)
    )
    assert {r.key: r.total for r in report.by_desk}["ip"] == 4
    mine = selectors.consultation_report(user=ip_coordinator, filters=ReportFilters(FY))
    assert mine.total == 4
    assert mine.unique_clients == 2


def test_a_merged_client_is_counted_once_and_is_new_only_by_its_first_session_ever(cast, records):
    before = selectors.consultation_report(user=cast.manager, filters=ReportFilters(FY))
    assert (before.unique_clients, before.new_clients) == _expected_clients(records) == (4, 3)
    returning, late = records[0].case.client, records[8].case.client
    services.client_merge(survivor=returning, absorbed=late, by=cast.manager)

    report = selectors.consultation_report(user=cast.manager, filters=ReportFilters(FY))
    # The late client's sessions are now the returning client's, who came in FY2024.
    assert (report.unique_clients, report.new_clients) == _expected_clients(records) == (3, 2)
    assert report.by_month[-1].new_clients == 0  # March: the late client's first session
    assert report.total == before.total


@pytest.mark.parametrize("reader", ["manager", "coordinator"])
def test_the_topic_and_counselor_breakdowns_equal_the_many_to_many_joined_for_every_filter(
    cast, records, reader
):
    """On PostgreSQL the two breakdowns read each session's copy of its sets
    (`intake_session_sets`, docs/performance.md, "A year's topics and counselors read as one
    range"); they count what joining the many-to-many tables counts, whatever the filters."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casebook.accounts.models import User
    from casebook.reports.selectors.consultations import (
        SessionSet,
        _grouped,
        _per_key,
        report_sessions,
        tally_scope,
    )

    user = getattr(cast, reader)
    records[0].topics.set(Topic.objects.filter(code__in=["labour", "finance"]))
    for kwargs in (
        {},
        {"desk": desk("ip")},
        {"mode": "phone"},
        {"office": records[5].office},
        {"topic": Topic.objects.get(code="labour")},
        {"counselor": cast.colleague},
        {"counselor": cast.counselor, "mode": "online"},
    ):
        filters = ReportFilters(FY, **kwargs)
        with CaptureQueriesContext(connection) as queries:
            report = selectors.consultation_report(user=user, filters=filters)
        sessions = report_sessions(user=user, filters=filters)
        joined = {
            "topics": _per_key(
                sessions, SessionSet("topics", "topic_ids"), (Topic, "code", "name")
            ),
            "counselors": _per_key(
                sessions, SessionSet("counselors", "counselor_ids"), (User, "id", "display_name")
            ),
        }
        assert report.by_topic == _grouped(joined["topics"]), kwargs
        assert report.by_counselor == _grouped(joined["counselors"]), kwargs
        read_copy = [
            q["sql"] for q in queries.captured_queries if "intake_session_sets" in q["sql"]
        ]
        # Where the report reads the kept counts (every desk, one desk), it reads no set.
        counts = tally_scope(user=user, filters=filters, using="default") is None
        assert len(read_copy) == (2 if connection.vendor == "postgresql" and counts else 0), kwargs
