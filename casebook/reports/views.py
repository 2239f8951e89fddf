"""The report screens and their exports (docs/reports.md). Each asks the policy through its
selector; a login that reads no report gets 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casebook.common.exports import csv_response, xlsx_response
from casebook.common.fiscal import current_fiscal_year
from casebook.common.web import page_view
from casebook.reports import charts, policy, selectors, tables
from casebook.reports.forms import ReportFilterForm
from casebook.reports.models import ActivityKind
from casebook.reports.selectors import ReportFilters


def _filters(request: HttpRequest) -> tuple[ReportFilterForm, ReportFilters | None]:
    policy.require_reader(request.user)
    form = ReportFilterForm(request.GET, user=request.user)
    return form, (form.filters() if form.is_valid() else None)


def _bad_filters(form: ReportFilterForm) -> HttpResponse:
    lines = [f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()]
    return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")


def _fy_of(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("fy") or current_fiscal_year())
    except ValueError:
        return current_fiscal_year()


@require_GET
@page_view
def kpi_report(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return render(request, "reports/kpis.html", {"form": form}, status=400)
    consultations = selectors.consultation_report(user=request.user, filters=filters)
    cases = selectors.case_report(user=request.user, filters=filters)
    month_labels = [f"{row.month.month}" for row in consultations.by_month]
    context: dict[str, Any] = {
        "form": form,
        "filters": filters,
        "query": urlencode(filters.query()),
        "consultations": consultations,
        "cases": cases,
        "reads_every_desk": policy.reads_every_desk(request.user),
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
    return render(request, "reports/kpis.html", context)


# name -> (the selector, the CSV header, the CSV rows, the XLSX sheets)
EXPORTS: dict[str, tuple[Callable[..., Any], Callable[[], list[str]], Callable, Callable]] = {
    "consultations": (
        selectors.consultation_report,
        tables.consultation_header,
        tables.consultation_rows,
        tables.consultation_sheets,
    ),
    "cases": (selectors.case_report, tables.case_header, tables.case_rows, tables.case_sheets),
}


@require_GET
@page_view
def report_export(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    """A KPI report as CSV or XLSX, with the page's filters (docs/reports.md, "Exports")."""
    form, filters = _filters(request)
    if filters is None:
        return _bad_filters(form)
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
    report = selectors.plan_report(user=request.user, fiscal_year=_fy_of(request))
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
    report = selectors.plan_report(user=request.user, fiscal_year=_fy_of(request))
    return csv_response(
        f"plan-FY{report.fiscal_year}.csv", tables.plan_header(), tables.plan_rows(report)
    )


@require_GET
@page_view
def plan_xlsx(request: HttpRequest) -> HttpResponse:
    policy.require_reader(request.user)
    report = selectors.plan_report(user=request.user, fiscal_year=_fy_of(request))
    return xlsx_response(f"plan-FY{report.fiscal_year}.xlsx", tables.plan_sheets(report))


ACTIVITIES_PER_PAGE = 50


@require_GET
@page_view
def activity_list(request: HttpRequest) -> HttpResponse:
    """The activities of a fiscal year (newest first, paged) and their count by kind."""
    policy.require_reader(request.user)
    fiscal_year = _fy_of(request)
    kind = request.GET.get("kind", "")
    if kind not in ActivityKind.values:
        kind = ""
    rows = selectors.activity_list_for_user(user=request.user, fiscal_year=fiscal_year, kind=kind)
    page = Paginator(rows, ACTIVITIES_PER_PAGE).get_page(request.GET.get("page"))
    counts = selectors.activity_counts_by_kind(user=request.user, fiscal_year=fiscal_year)
    return render(
        request,
        "reports/activities.html",
        {
            "page": page,
            "counts": counts,
            "fiscal_year": fiscal_year,
            "fiscal_year_label": ReportFilters(fiscal_year).label,
            "kind": kind,
            "kinds": ActivityKind.choices,
            "query": urlencode({"fy": fiscal_year, "kind": kind}),
            "reads_every_desk": policy.reads_every_desk(request.user),
        },
    )


@require_GET
@page_view
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_user(user=request.user, pk=pk)
    participants = selectors.activity_participants(user=request.user, activity=activity)
    return render(
        request,
        "reports/activity_detail.html",
        {
            "activity": activity,
            "participants": participants,
            "reads_every_desk": policy.reads_every_desk(request.user),
        },
    )
