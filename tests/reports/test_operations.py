from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.test import Client as WebClient
from openpyxl import load_workbook

from casebook.common.extensions import registry
from casebook.exits.models import ExitPath, ExitPlan
from casebook.experts.models import DispatchVisit
from casebook.intake.models import Confidentiality
from casebook.reports import selectors
from casebook.reports.selectors import ReportFilters
from tests.factories import (
    BookingFactory,
    CaseFactory,
    DispatchFactory,
    ExpertFactory,
    OfficeFactory,
    ProgramFactory,
    SessionFactory,
    SubQuotaFactory,
    api_as,
    desk,
    response_bytes,
    slot_at,
)
from tests.reports.conftest import at

FY = 2025
SECRET = "廃業の相談（限定）"


def tables_of(report) -> dict[str, object]:
    return {table.key: table for _section, tables in report.sections for table in tables}


def visit(dispatch, day: dt.date, days: str) -> DispatchVisit:
    return DispatchVisit.objects.create(
        dispatch=dispatch, expert=dispatch.expert, date=day, day_fraction=Decimal(days)
    )


def test_dispatch_days_by_program_sub_quota_and_expert_and_co_payments_recomputed(cast):
    program = ProgramFactory(fiscal_year=FY, code="expert", quota_days=Decimal("800.0"))
    covid = SubQuotaFactory(program=program, code="covid", quota_days=Decimal("40.0"))
    tanaka, sato = ExpertFactory(name="田中 一郎"), ExpertFactory(name="佐藤 花子")
    approved = DispatchFactory(
        program=program, expert=tanaka, status="scheduled", approved_days=Decimal("3.0")
    )
    done = DispatchFactory(
        program=program,
        sub_quota=covid,
        expert=sato,
        status="completed",
        approved_days=Decimal("2.0"),
        used_days=Decimal("1.5"),
        day_rate_yen=40_000,
        copay_yen=0,
        completed_at=at(2025, 9, 30),
    )
    paid = DispatchFactory(
        program=program,
        expert=tanaka,
        status="completed",
        approved_days=Decimal("2.0"),
        used_days=Decimal("2.0"),
        day_rate_yen=30_000,
        copay_yen=19_980,
        completed_at=at(2026, 3, 31, 23, 59),
    )
    DispatchFactory(  # finished on 1 April: the next fiscal year's co-payment
        program=program,
        expert=sato,
        status="completed",
        approved_days=Decimal("1.0"),
        used_days=Decimal("1.0"),
        copay_yen=5_000,
        completed_at=at(2026, 4, 1, 0, 0),
    )
    visits = [
        visit(approved, dt.date(2025, 6, 1), "1.0"),
        visit(done, dt.date(2025, 7, 1), "1.0"),
        visit(done, dt.date(2025, 7, 2), "0.5"),
        visit(paid, dt.date(2026, 3, 31), "1.0"),
        visit(paid, dt.date(2025, 3, 31), "1.0"),  # the year before
    ]
    report = selectors.operations_report(user=cast.manager, filters=ReportFilters(FY))
    tables = tables_of(report)

    in_year = [v for v in visits if dt.date(2025, 4, 1) <= v.date <= dt.date(2026, 3, 31)]
    by_quota = {row[0]: row[1:] for row in tables["dispatch_days"].rows}
    used_all = sum(v.day_fraction for v in in_year)
    used_covid = sum(v.day_fraction for v in in_year if v.dispatch_id == done.pk)
    taken_all = Decimal("3.0") + Decimal("1.5") + Decimal("2.0") + Decimal("1.0")
    assert by_quota[program.name] == (
        Decimal("800.0"),
        taken_all,
        used_all,
        Decimal("800.0") - taken_all,
    )
    assert by_quota[f"{program.name} / {covid.name}"] == (
        Decimal("40.0"),
        Decimal("1.5"),
        used_covid,
        Decimal("38.5"),
    )
    by_expert = {row[0]: row[1:] for row in tables["dispatch_days_by_expert"].rows}
    assert by_expert == {
        tanaka.name: (2, sum(v.day_fraction for v in in_year if v.expert_id == tanaka.pk)),
        sato.name: (1, sum(v.day_fraction for v in in_year if v.expert_id == sato.pk)),
    }
    (copay,) = tables["copayments"].rows
    assert copay == (program.name, 2, Decimal("3.5"), 1_5 * 40_000 // 10 + 2 * 30_000, 19_980)


def test_satellite_utilisation_counts_the_slots_of_the_days_held_in_the_year(cast):
    office = OfficeFactory(code="hitachi", name="日立サテライト")
    quiet = OfficeFactory(code="kashima", name="鹿嶋サテライト")
    OfficeFactory(code="closed", name="閉鎖", active_until=dt.date(2025, 3, 31))
    first = slot_at(office, at(2025, 4, 1, 10))
    second = slot_at(office, at(2025, 4, 1, 11))
    third = slot_at(office, at(2025, 10, 6, 10))
    slot_at(office, at(2026, 4, 1, 10))  # next year
    BookingFactory(slot=first, status="checked_in", session=SessionFactory())
    BookingFactory(slot=second, status="no_show")
    BookingFactory(slot=third, status="cancelled")
    report = selectors.operations_report(user=cast.auditor, filters=ReportFilters(FY))
    table = tables_of(report)["satellite_utilisation"]

    assert {row[0]: row[1:] for row in table.rows} == {
        office.name: (2, 3, 2, 1, 1, round(100 * 2 / 3, 1)),
        quiet.name: (0, 0, 0, 0, 0, None),
    }
    assert table.total[1:] == (2, 3, 2, 1, 1, round(100 * 2 / 3, 1))


def plan(case_desk: str, path: str, stage: str, started: dt.date, **kwargs) -> ExitPlan:
    case = CaseFactory(
        desk=desk(case_desk), confidentiality=Confidentiality.RESTRICTED, title=SECRET
    )
    return ExitPlan.objects.create(case=case, path=path, stage=stage, started_on=started, **kwargs)


def test_exit_plans_by_path_and_stage_count_restricted_cases_and_keep_to_the_readers_desks(
    cast, ip_coordinator
):
    plan("yorozu", "orderly_closure", "planning", dt.date(2025, 4, 1))
    plan("yorozu", "orderly_closure", "planning", dt.date(2026, 3, 31))
    plan("yorozu", "turnaround", "done", dt.date(2025, 5, 1), outcome="continued",
         outcome_on=dt.date(2025, 12, 1))  # fmt: skip
    plan("yorozu", "turnaround", "diagnosis", dt.date(2025, 3, 31))  # the year before
    plan("ip", "succession_family", "execution", dt.date(2025, 6, 1))

    report = selectors.operations_report(user=cast.coordinator, filters=ReportFilters(FY))
    assert [section.key for section, _tables in report.sections] == ["exits"]
    tables = tables_of(report)
    grid = tables["exit_plans_by_path_and_stage"]
    keys = [key for key, _label in grid.columns]
    rows = {row[0]: dict(zip(keys, row, strict=True)) for row in grid.rows}
    closure = rows[str(ExitPath.ORDERLY_CLOSURE.label)]
    assert (closure["planning"], closure["total"]) == (2, 2)
    turnaround = rows[str(ExitPath.TURNAROUND.label)]
    assert (turnaround["done"], turnaround["diagnosis"], turnaround["total"]) == (1, 0, 1)
    assert rows[str(ExitPath.SUCCESSION_FAMILY.label)]["total"] == 0
    assert grid.total[-1] == 3
    outcomes = tables["exit_outcomes_by_path"]
    assert outcomes.total[-1] == 1

    ip_report = selectors.operations_report(user=ip_coordinator, filters=ReportFilters(FY))
    assert tables_of(ip_report)["exit_plans_by_path_and_stage"].total[-1] == 1
    everyone = selectors.operations_report(user=cast.manager, filters=ReportFilters(FY))
    assert tables_of(everyone)["exit_plans_by_path_and_stage"].total[-1] == 4


def test_every_section_comes_from_the_registry_in_order():
    assert [section.key for section in registry.sections()] == ["dispatch", "satellites", "exits"]


def test_the_page_the_exports_and_the_api_show_the_same_numbers_and_no_case(cast):
    plan("yorozu", "orderly_closure", "planning", dt.date(2025, 6, 1))
    program = ProgramFactory(fiscal_year=FY, code="expert")
    dispatch = DispatchFactory(program=program, status="scheduled", approved_days=Decimal("2"))
    visit(dispatch, dt.date(2025, 6, 2), "1.0")
    web = WebClient()
    web.force_login(cast.manager)
    page = web.get("/reports/operations/", {"fy": FY})
    assert page.status_code == 200
    html = page.content.decode()
    assert SECRET not in html and "<svg" in html

    text = response_bytes(web.get("/reports/operations.csv", {"fy": FY})).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))[1:]
    assert SECRET not in text
    book = load_workbook(
        io.BytesIO(response_bytes(web.get("/reports/operations.xlsx", {"fy": FY})))
    )
    assert len(book.sheetnames) == 6

    body = api_as(cast.manager).get("/api/v1/reports/operations/", {"fy": FY}).json()
    sections = {section["key"]: section for section in body["sections"]}
    assert set(sections) == {"dispatch", "satellites", "exits"}
    exits = sections["exits"]["tables"][0]
    assert exits["total"]["total"] == 1
    expert_rows = sections["dispatch"]["tables"][1]["rows"]
    assert expert_rows == [{"expert": dispatch.expert.name, "dispatches": 1, "days": 1.0}]
    # the CSV: one line per cell of every table (its rows and its total), the same values
    tables = [table for section in body["sections"] for table in section["tables"]]
    cells = sum(
        (len(table["rows"]) + bool(table["total"])) * (len(table["columns"]) - 1)
        for table in tables
    )
    assert len(lines) == cells
    exit_cells = [line for line in lines if line[2] == exits["title"]]
    assert exit_cells[-1][5] == "1"  # the grand total
    # the XLSX: a sheet per table, its total last
    sheet = list(book.worksheets[-2].iter_rows(values_only=True))
    assert sheet[-1][-1] == 1
