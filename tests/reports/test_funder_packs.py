from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client as WebClient
from django.utils import timezone
from openpyxl import load_workbook

from casebook.experts.models import DispatchVisit
from casebook.intake.models import ConsultationSession, IpDetails, Topic
from casebook.reports import metrics, selectors
from casebook.reports.models import Activity
from casebook.reports.selectors import ReportFilters
from tests.factories import (
    CaseFactory,
    ClientFactory,
    DispatchFactory,
    ExpertFactory,
    OfficeFactory,
    ProgramFactory,
    SessionFactory,
    desk,
    survey_row,
)
from tests.reports.conftest import at

FY = 2025  # April 2025 – March 2026
SECRET = "廃業の相談（限定）"
SECRET_CLIENT = "限定株式会社"
MONTHS = [dt.date(2025 + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]


def logged_in(user) -> WebClient:
    client = WebClient()
    client.force_login(user)
    return client


def month_of(instant: dt.datetime | dt.date) -> dt.date:
    if isinstance(instant, dt.datetime):
        instant = timezone.localtime(instant).date()
    return instant.replace(day=1)


@pytest.fixture
def yorozu_records(cast):
    """よろず sessions across the year's edges, in person and not, one client visiting twice
    in a month, a restricted case, and an IP session that the よろず pack must not count."""
    regular, returning = ClientFactory(), ClientFactory()
    satellite = OfficeFactory(code="tsukuba")
    case = CaseFactory(client=regular, opened_at=at(2025, 4, 1))
    old = CaseFactory(client=returning, opened_at=at(2024, 6, 1), fiscal_year=2024)
    restricted = CaseFactory(
        client=ClientFactory(name=SECRET_CLIENT),
        confidentiality="restricted",
        on_exit_track=True,
        title=SECRET,
        opened_at=at(2025, 5, 1),
    )
    ip_case = CaseFactory(desk=desk("ip"), opened_at=at(2025, 4, 1))
    rows = [
        (old, at(2024, 6, 3), "in_person_hq", None),  # the client's first, in FY2024
        (old, at(2025, 3, 31, 23, 59), "in_person_hq", None),  # FY2024's last minute
        (old, at(2025, 4, 1, 0, 0), "in_person_hq", None),  # FY2025's first minute
        (case, at(2025, 4, 10), "in_person_hq", None),
        (case, at(2025, 4, 20), "in_person_satellite", satellite),  # same client, same month
        (case, at(2025, 6, 5), "online", None),  # not a visit
        (case, at(2025, 6, 6), "phone", None),
        (restricted, at(2025, 5, 15), "in_person_hq", None),
        (restricted, at(2026, 3, 31, 23, 59), "in_person_satellite", satellite),
        (restricted, at(2026, 4, 1, 0, 0), "in_person_hq", None),  # FY2026
        (ip_case, at(2025, 4, 10), "in_person_hq", None),  # another desk
    ]
    return [
        SessionFactory(case=c, started_at=started_at, mode=mode, office=office)
        for c, started_at, mode, office in rows
    ]


def in_year(session: ConsultationSession) -> bool:
    day = timezone.localtime(session.started_at).date()
    return dt.date(FY, 4, 1) <= day <= dt.date(FY + 1, 3, 31)


def test_the_yorozu_pack_counts_the_desks_sessions_visitors_and_new_clients_by_month(
    cast, yorozu_records
):
    pack = selectors.funder_pack(user=cast.manager, pack="yorozu", fiscal_year=FY)

    sessions = [s for s in yorozu_records if in_year(s) and s.case.desk.code == "yorozu"]
    consultations = [sum(month_of(s.started_at) == m for s in sessions) for m in MONTHS]
    visits = {
        (month_of(s.started_at), s.case.client_id)
        for s in sessions
        if s.mode in ("in_person_hq", "in_person_satellite")
    }
    visitors = [sum(month == m for month, _client in visits) for m in MONTHS]
    firsts: dict[int, dt.datetime] = {}
    for s in ConsultationSession.objects.select_related("case"):
        client = s.case.client_id
        firsts[client] = min(firsts.get(client, s.started_at), s.started_at)
    counted_clients = {s.case.client_id for s in sessions}
    new = [
        sum(month_of(first) == m for c, first in firsts.items() if c in counted_clients)
        for m in MONTHS
    ]
    assert pack.row("consultations").months == consultations
    assert pack.row("consultations").total == len(sessions) == 7
    assert pack.row("visitors").months == visitors
    assert visitors[0] == 2  # two clients in April, the one who came twice counted once
    assert visitors[-1] == 1  # 31 March 23:59 is March of this year
    assert pack.row("new_clients").months == new
    assert pack.row("new_clients").total == 2  # the returning client is not new


def test_the_yorozu_pack_agrees_with_the_kpi_report_for_the_desk(cast, yorozu_records):
    pack = selectors.funder_pack(user=cast.manager, pack="yorozu", fiscal_year=FY)
    kpis = selectors.consultation_report(
        user=cast.manager, filters=ReportFilters(FY, desk=desk("yorozu"))
    )

    assert pack.row("consultations").months == [row.total for row in kpis.by_month]
    assert pack.row("consultations").total == kpis.total
    assert pack.row("new_clients").total == kpis.new_clients


def test_the_yorozu_pack_counts_the_surveys_of_the_desk_by_the_month_they_were_sent(
    cast, yorozu_records
):
    yorozu = desk("yorozu")
    survey_row(sent_at=at(2025, 5, 10), score=5, counselor=cast.counselor, desk=yorozu)
    survey_row(sent_at=at(2025, 5, 20), score=4, counselor=cast.counselor, desk=yorozu)
    survey_row(sent_at=at(2025, 5, 21), counselor=cast.counselor, desk=yorozu)
    survey_row(sent_at=at(2026, 3, 31, 23, 59), score=3, counselor=cast.counselor, desk=yorozu)
    survey_row(sent_at=at(2026, 4, 1, 0, 0), score=1, counselor=cast.counselor, desk=yorozu)
    survey_row(sent_at=at(2025, 5, 11), score=1, counselor=cast.colleague, desk=desk("ip"))

    pack = selectors.funder_pack(user=cast.manager, pack="yorozu", fiscal_year=FY)

    assert [row.key for row in pack.rows] == [
        "consultations",
        "visitors",
        "new_clients",
        "satisfaction_sent",
        "satisfaction_answered",
        "satisfaction_mean",
    ]
    assert pack.row("satisfaction_sent").months == [0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert pack.row("satisfaction_sent").total == 4
    assert pack.row("satisfaction_answered").months[1] == 2
    assert pack.row("satisfaction_answered").total == 3
    assert pack.row("satisfaction_mean").months[:2] == [None, 4.5]
    assert pack.row("satisfaction_mean").total == 4.0


@pytest.fixture
def ip_records(cast):
    """IP sessions by mode and topic, dispatches of a patent attorney and of another expert,
    foreign filings, IP activities, on both sides of the year's edges."""
    patent, trademark = Topic.objects.get(code="ip_patent"), Topic.objects.get(code="ip_trademark")
    ip = desk("ip")
    case = CaseFactory(desk=ip, opened_at=at(2025, 4, 1, 0, 0))
    restricted = CaseFactory(
        desk=ip,
        client=ClientFactory(name=SECRET_CLIENT),
        confidentiality="restricted",
        on_exit_track=True,
        title=SECRET,
        opened_at=at(2026, 3, 31, 23, 59),
    )
    before = CaseFactory(desk=ip, opened_at=at(2025, 3, 31, 23, 59), fiscal_year=2024)
    IpDetails.objects.create(
        case=case, rights_sought=["patent", "trademark"], foreign_filing_countries=["US"]
    )
    IpDetails.objects.create(
        case=restricted, rights_sought=["design"], foreign_filing_countries=["CN"]
    )
    IpDetails.objects.create(case=before, rights_sought=["patent"], foreign_filing_countries=["KR"])
    sessions = []
    for c, started_at, mode, topics in [
        (case, at(2025, 4, 1, 0, 0), "in_person_hq", [patent, trademark]),
        (case, at(2025, 4, 8), "online", [patent]),
        (case, at(2025, 9, 8), "phone", []),
        (restricted, at(2026, 3, 31, 23, 59), "email", [trademark]),
        (before, at(2025, 3, 31, 23, 59), "online", [patent]),  # FY2024
        (CaseFactory(opened_at=at(2025, 4, 1)), at(2025, 4, 9), "online", [patent]),  # よろず
    ]:
        session = SessionFactory(case=c, started_at=started_at, mode=mode)
        session.topics.set(topics)
        sessions.append(session)
    attorney = ExpertFactory(qualifications=["patent_attorney"])
    consultant = ExpertFactory()
    program = ProgramFactory(fiscal_year=FY, code="expert")
    visits = []
    for c, expert, day, fraction in [
        (case, attorney, dt.date(2025, 4, 1), "1.0"),
        (case, attorney, dt.date(2025, 4, 2), "0.5"),
        (restricted, consultant, dt.date(2026, 3, 31), "1.0"),
        (before, attorney, dt.date(2025, 3, 31), "1.0"),  # FY2024
        (CaseFactory(opened_at=at(2025, 4, 1)), attorney, dt.date(2025, 5, 1), "1.0"),  # よろず
    ]:
        dispatch = DispatchFactory(
            case=c, expert=expert, program=program, status="approved", requested_by=cast.manager
        )
        visits.append(
            DispatchVisit.objects.create(
                dispatch=dispatch, expert=expert, date=day, day_fraction=Decimal(fraction)
            )
        )
    for kind, day in [
        ("open_patent_registration", dt.date(2025, 4, 1)),
        ("open_patent_registration", dt.date(2026, 3, 31)),
        ("patent_brokerage", dt.date(2025, 7, 1)),
        ("seeds_review", dt.date(2026, 4, 1)),  # FY2026
    ]:
        Activity.objects.create(
            kind=kind, desk=ip, title="開放特許", held_on=day, created_by=cast.manager
        )
    return SimpleNamespace(sessions=sessions, visits=visits)


def test_the_ip_pack_counts_the_desks_consultations_by_mode_and_topic(cast, ip_records):
    pack = selectors.funder_pack(user=cast.manager, pack="ip", fiscal_year=FY)

    sessions = [s for s in ip_records.sessions if in_year(s) and s.case.desk.code == "ip"]
    assert pack.row("consultations").months == [
        sum(month_of(s.started_at) == m for s in sessions) for m in MONTHS
    ]
    assert pack.row("consultations").total == 4
    for mode in ("in_person_hq", "online", "phone", "email"):
        expected = [
            sum(month_of(s.started_at) == m and s.mode == mode for s in sessions) for m in MONTHS
        ]
        assert pack.row(f"mode.{mode}").months == expected
    assert pack.row("mode.onsite_visit").total == 0
    for code in ("ip_patent", "ip_trademark", "ip_design"):
        expected = [
            sum(
                month_of(s.started_at) == m and s.topics.filter(code=code).exists()
                for s in sessions
            )
            for m in MONTHS
        ]
        assert pack.row(f"topic.{code}").months == expected
    assert pack.row("topic.ip_trademark").months[-1] == 1  # the restricted case, counted


def test_the_ip_pack_counts_expert_dispatches_and_patent_attorneys_by_visit_month(cast, ip_records):
    pack = selectors.funder_pack(user=cast.manager, pack="ip", fiscal_year=FY)

    visits = [
        v
        for v in ip_records.visits
        if dt.date(FY, 4, 1) <= v.date <= dt.date(FY + 1, 3, 31)
        and v.dispatch.case.desk.code == "ip"
    ]
    attorneys = [v for v in visits if "patent_attorney" in v.expert.qualifications]

    def by_month(rows, days):
        return [
            sum((v.day_fraction if days else 1) for v in rows if month_of(v.date) == m)
            for m in MONTHS
        ]

    assert pack.row("dispatch_visits").months == by_month(visits, False)
    assert pack.row("dispatch_days").months == by_month(visits, True)
    assert pack.row("dispatch_days").total == 2.5
    assert pack.row("attorney_visits").months == by_month(attorneys, False)
    assert pack.row("attorney_days").total == 1.5


def test_the_ip_pack_counts_foreign_filings_and_ip_activities_as_the_plan_does(cast, ip_records):
    pack = selectors.funder_pack(user=cast.manager, pack="ip", fiscal_year=FY)

    actual = metrics.actuals(FY)
    for right in ("patent", "utility_model", "design", "trademark", "anti_squatting_trademark"):
        row = pack.row(f"foreign_filings.{right}")
        assert row.total == actual[f"foreign_filings.{right}"]
    assert pack.row("foreign_filings.patent").months[0] == 1  # 1 April 00:00 is this year's
    assert pack.row("foreign_filings.design").months[-1] == 1  # 31 March 23:59 too
    assert pack.row("activities.open_patent_registration").months[0] == 1
    assert pack.row("activities.open_patent_registration").total == 2
    assert pack.row("activities.patent_brokerage").months[3] == 1
    assert pack.row("activities.seeds_review").total == 0


def test_a_pack_is_read_by_managers_and_auditors_only(cast, yorozu_records):
    paths = (
        "/reports/funders/yorozu/",
        "/reports/funders/ip/",
        "/reports/funders/yorozu.xlsx",
        "/reports/funders/ip.xlsx",
        "/api/v1/reports/funders/yorozu/",
        "/api/v1/reports/funders/ip/",
    )
    for user in (cast.manager, cast.auditor):
        client = logged_in(user)
        for path in paths:
            assert client.get(path, {"fy": FY}).status_code == 200, (user, path)
    for user in (cast.coordinator, cast.counselor, cast.outsider):
        client = logged_in(user)
        for path in paths:
            assert client.get(path, {"fy": FY}).status_code == 404, (user, path)


@pytest.mark.parametrize("pack", ["yorozu", "ip"])
def test_the_page_the_xlsx_and_the_api_give_the_same_numbers(
    cast, yorozu_records, ip_records, pack
):
    client = logged_in(cast.manager)
    page = client.get(f"/reports/funders/{pack}/", {"fy": FY})
    answer = client.get(f"/api/v1/reports/funders/{pack}/", {"fy": FY}).json()
    workbook = load_workbook(
        io.BytesIO(client.get(f"/reports/funders/{pack}.xlsx", {"fy": FY}).content)
    )

    assert page.status_code == 200
    rows = page.context["pack"].rows
    assert [row["key"] for row in answer["rows"]] == [row.key for row in rows]
    assert [(row["months"], row["total"]) for row in answer["rows"]] == [
        (row.months, row.total) for row in rows
    ]
    assert answer["months"][0] == "2025-04" and answer["months"][-1] == "2026-03"
    sheet = workbook.worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[1][0] == "公益財団法人いばらき中小企業グローバル推進機構"
    assert lines[2][0] == "令和7年度（2025年度）"
    assert lines[4] == (
        "項目",
        "4月",
        "5月",
        "6月",
        "7月",
        "8月",
        "9月",
        "10月",
        "11月",
        "12月",
        "1月",
        "2月",
        "3月",
        "合計",
    )
    groups = {row.group for row in rows if row.group}
    figures = [line for line in lines[5:] if line[0] not in groups]
    assert [(list(line[1:13]), line[13]) for line in figures] == [
        (row.months, row.total) for row in rows
    ]
    assert [line[0].strip() for line in figures] == [row.label for row in rows]
    assert sheet.freeze_panes == "B6"


@pytest.mark.parametrize("pack", ["yorozu", "ip"])
def test_a_pack_counts_a_restricted_case_but_never_names_it(cast, yorozu_records, ip_records, pack):
    client = logged_in(cast.manager)
    body = client.get(f"/reports/funders/{pack}/", {"fy": FY}).content.decode()
    raw = client.get(f"/reports/funders/{pack}.xlsx", {"fy": FY}).content
    text = "".join(
        str(cell)
        for line in load_workbook(io.BytesIO(raw)).worksheets[0].iter_rows(values_only=True)
        for cell in line
    )
    api = client.get(f"/api/v1/reports/funders/{pack}/", {"fy": FY}).content.decode()

    for secret in (SECRET, SECRET_CLIENT):
        assert secret not in body and secret not in text and secret not in api
    assert "/cases/" not in body
    assert "<svg" in body and "令和7年度" in body


def test_an_empty_year_answers_zeros(cast):
    pack = selectors.funder_pack(user=cast.manager, pack="ip", fiscal_year=2019)

    assert all(row.total == 0 for row in pack.rows)
    assert pack.wareki == "令和元年度"
