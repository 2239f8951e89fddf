"""The KPI report, plan vs actual and the operations report, with their exports
(docs/reports.md). Each asks the policy through its selector; a login that reads no report
gets 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casebook.common.exports import (
    column_rows,
    columns_csv_response,
    csv_response,
    xlsx_response,
)
from casebook.common.web import page_view
from casebook.intake import services as case_services
from casebook.reports import charts, policy, selectors, tables
from casebook.reports.selectors import ReportFilters
from casebook.reports.views.common import bad_filters, filters_of, fy_of, report_page


@require_GET
@page_view
@report_page("reports/kpis.html")
def kpi_report(request: HttpRequest, filters: ReportFilters) -> dict[str, Any]:
    consultations = selectors.consultation_report(user=request.user, filters=filters)
    cases = selectors.case_report(user=request.user, filters=filters)
    month_labels = [f"{row.month.month}" for row in consultations.by_month]
    return {
        "consultations": consultations,
        "cases": cases,
        "offered_actions": policy.activity_offered_actions(request.user),
        "consultation_chart": charts.bar_chart(
            _("Consultations by month"),
            month_labels,
            [
                (_("consultation count"), [r.total for r in consultations.by_month]),
                (_("unique clients"), [r.unique_clients for r in consultations.by_month]),
            ],
        ),
        "case_chart": charts.bar_chart(
            _("Cases opened and closed by month"),
            month_labels,
            [
                (_("cases opened"), [r.opened for r in cases.by_month]),
                (_("cases closed"), [r.closed for r in cases.by_month]),
            ],
        ),
        "aging_chart": charts.bar_chart(
            _("Open cases by age (days)"),
            [label for _key, label, _count in cases.aging],
            [(_("open cases"), [count for _key, _label, count in cases.aging])],
        ),
    }


# name -> (the selector, the CSV header, the CSV rows, the XLSX sheets)
EXPORTS: dict[str, tuple[Callable[..., Any], Callable[[], list[str]], Callable, Callable]] = {
    "consultations": (
        selectors.consultation_report,
        tables.consultation_header,
        tables.consultation_rows,
        tables.consultation_sheets,
    ),
    "cases": (selectors.case_report, tables.case_header, tables.case_rows, tables.case_sheets),
    "operations": (
        selectors.operations_report,
        tables.operations_header,
        tables.operations_rows,
        tables.operations_sheets,
    ),
    "outcomes": (
        selectors.outcome_report,
        tables.outcome_header,
        tables.outcome_rows,
        tables.outcome_sheets,
    ),
    "satisfaction": (
        selectors.satisfaction_report,
        tables.satisfaction_header,
        tables.satisfaction_rows,
        tables.satisfaction_sheets,
    ),
}


@require_GET
@page_view
def report_export(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    """A KPI report as CSV or XLSX, with the page's filters (docs/reports.md, "Exports")."""
    form, filters = filters_of(request)
    if filters is None:
        return bad_filters(form)
    report_of, header, rows, sheets = EXPORTS[name]
    report = report_of(user=request.user, filters=filters)
    filename = f"{name}-FY{filters.fiscal_year}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, header(), rows(report))
    return xlsx_response(filename, sheets(report))


@require_GET
@page_view
def plan_report(request: HttpRequest) -> HttpResponse:
    policy.require_reader(request.user)
    report = selectors.plan_report(user=request.user, fiscal_year=fy_of(request))
    chart = charts.bar_chart(
        _("Achieved (% of the target)"),
        [str(index) for index, _row in enumerate(report.rows, start=1)],
        [
            (_("achieved (%)"), [min(row.percent, 200) for row in report.rows]),
            (
                _("expected by now (%)"),
                [float(report.elapsed * 100) for _row in report.rows],
            ),
        ],
    )
    return render(request, "reports/plan.html", {"report": report, "chart": chart})


@require_GET
@page_view
def plan_csv(request: HttpRequest) -> HttpResponse:
    policy.require_reader(request.user)
    report = selectors.plan_report(user=request.user, fiscal_year=fy_of(request))
    return csv_response(
        f"plan-FY{report.fiscal_year}.csv", tables.plan_header(), tables.plan_rows(report)
    )


@require_GET
@page_view
def plan_xlsx(request: HttpRequest) -> HttpResponse:
    policy.require_reader(request.user)
    report = selectors.plan_report(user=request.user, fiscal_year=fy_of(request))
    return xlsx_response(f"plan-FY{report.fiscal_year}.xlsx", tables.plan_sheets(report))


CHART_ROWS = 20


def _table_chart(table: Any) -> Any:
    """The bars of a section's table (its first rows; the table shows them all)."""
    if not table.chart or not table.rows:
        return None
    column = [key for key, _label in table.columns].index(table.chart)
    rows = table.rows[:CHART_ROWS]
    return charts.bar_chart(
        table.title,
        [str(row[0]) for row in rows],
        [(dict(table.columns)[table.chart], [float(row[column] or 0) for row in rows])],
    )


@require_GET
@page_view
@report_page("reports/operations.html")
def operations_report(request: HttpRequest, filters: ReportFilters) -> dict[str, Any]:
    """The figures the other apps add: dispatch days and co-payments, satellite utilisation,
    the exit track (docs/reports.md, "Operations")."""
    report = selectors.operations_report(user=request.user, filters=filters)
    return {
        "sections": [
            (section, [(table, _table_chart(table)) for table in tables])
            for section, tables in report.sections
        ]
    }


@require_GET
@page_view
def sessions_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """A fiscal year of sessions, one row each, streamed (docs/reports.md, "The session
    export"); the filters of the KPI report."""
    policy.require_session_exporter(request.user)
    form, filters = filters_of(request)
    if filters is None:
        return bad_filters(form)
    case_services.access_log_record(
        user=request.user,
        cases=selectors.session_export_restricted_cases(user=request.user, filters=filters),
        via="export",
        once_a_day=True,
    )
    rows = selectors.session_export_rows(user=request.user, filters=filters)
    columns = tables.session_columns()
    filename = f"sessions-FY{filters.fiscal_year}.{fmt}"
    if fmt == "csv":
        return columns_csv_response(filename, columns, rows)
    header = [str(title) for title, _value in columns]
    return xlsx_response(filename, [(_("Sessions"), header, column_rows(columns, rows))])
