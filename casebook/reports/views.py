"""The report screens and their exports (docs/reports.md). Each asks the policy through its
selector; a login that reads no report gets 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from casebook.common.errors import ActionNotPermitted
from casebook.common.exports import (
    column_rows,
    columns_csv_response,
    csv_response,
    xlsx_response,
)
from casebook.common.fiscal import current_fiscal_year
from casebook.common.paging import page_number
from casebook.common.web import form_action, new_form_token, page_view
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services
from casebook.intake.models import CaseStatus, OutcomeOccasion
from casebook.reports import charts, policy, selectors, services, tables
from casebook.reports.forms import ActivityForm, OutcomeForm, ReportFilterForm
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
def sessions_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """A fiscal year of sessions, one row each, streamed (docs/reports.md, "The session
    export"); the filters of the KPI report."""
    policy.require_session_exporter(request.user)
    form, filters = _filters(request)
    if filters is None:
        return _bad_filters(form)
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
            "offered_actions": policy.activity_offered_actions(request.user),
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
            "offered_actions": policy.activity_offered_actions(request.user, activity),
        },
    )


ACTIVITY_FIELDS = ("kind", "desk", "title", "held_on", "place", "online", "organisers", "note")


def _activity_form_page(
    request: HttpRequest, form: ActivityForm, status: int, activity: Any = None
) -> HttpResponse:
    return render(
        request, "reports/activity_form.html", {"form": form, "activity": activity}, status=status
    )


@require_http_methods(["GET", "POST"])
@page_view
def activity_new(request: HttpRequest) -> HttpResponse:
    """Record a held activity (its participants are added through the API or the admin)."""
    user = request.user
    policy.require_reader(user)
    if "record" not in policy.activity_offered_actions(user):
        raise ActionNotPermitted(str(policy.ACTIVITY_RULE))
    form = ActivityForm(
        request.POST if request.method == "POST" else None,
        user=user,
        initial={"held_on": timezone.localdate(), "form_token": new_form_token()},
    )
    return form_action(
        request,
        form=form,
        perform=lambda data: services.activity_create(
            by=user, **{name: data[name] for name in ACTIVITY_FIELDS}
        ),
        done=_("The activity is recorded."),
        success_url=lambda activity: reverse("reports:activity", args=[activity.pk]),
        render_form=lambda form, status: _activity_form_page(request, form, status),
        once=True,
    )


@require_http_methods(["GET", "POST"])
@page_view
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct an activity's own fields, with the version the screen showed."""
    user = request.user
    activity = selectors.activity_get_for_user(user=user, pk=pk)
    if "edit" not in policy.activity_offered_actions(user, activity):
        raise ActionNotPermitted(str(policy.ACTIVITY_RULE))
    initial = {name: getattr(activity, name) for name in ACTIVITY_FIELDS}
    form = ActivityForm(
        request.POST if request.method == "POST" else None,
        user=user,
        initial=initial | {"version": activity.version},
    )
    return form_action(
        request,
        form=form,
        perform=lambda data: services.activity_update(
            by=user,
            activity=activity,
            expected_version=data["version"],
            **{name: data[name] for name in ACTIVITY_FIELDS},
        ),
        done=_("The activity is saved."),
        success_url=reverse("reports:activity", args=[activity.pk]),
        render_form=lambda form, status: _activity_form_page(request, form, status, activity),
    )


# --- outcomes -------------------------------------------------------------------------------


@require_GET
@page_view
def outcome_report(request: HttpRequest) -> HttpResponse:
    """What clients reported in the year: the change per client and in aggregate."""
    form, filters = _filters(request)
    if filters is None:
        return render(request, "reports/outcomes.html", {"form": form}, status=400)
    report = selectors.outcome_report(
        user=request.user, filters=filters, page=page_number(request.GET)
    )
    facts = [
        (_("patent filed"), report.facts.get("patent_filed", 0)),
        (_("trademark filed"), report.facts.get("trademark_filed", 0)),
        (_("export started"), report.facts.get("export_started", 0)),
        *((label, count) for _key, label, count in report.business),
    ]
    chart = charts.bar_chart(
        _("Clients by what they reported"),
        [str(label) for label, _count in facts],
        [(_("clients"), [count for _label, count in facts])],
    )
    query = filters.query()
    return render(
        request,
        "reports/outcomes.html",
        {
            "form": form,
            "filters": filters,
            "report": report,
            "chart": chart,
            "query": urlencode(query),
            "page_query": urlencode(query) + "&",
            "reads_every_desk": policy.reads_every_desk(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@page_view
def outcome_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record what the case's client reported (the case page's outcomes panel)."""
    user = request.user
    case = case_selectors.case_get_for_user(user=user, pk=pk)
    case_services.access_log_record(user=user, cases=[case], via="outcome")
    policy.require_record_outcome(user, case)
    occasion = (
        OutcomeOccasion.CLOSURE if case.status == CaseStatus.CLOSED else OutcomeOccasion.FOLLOW_UP
    )
    form = OutcomeForm(
        request.POST if request.method == "POST" else None,
        initial={
            "occasion": occasion,
            "reported_on": timezone.localdate(),
            "form_token": new_form_token(),
        },
    )

    def render_form(form: OutcomeForm, status: int) -> HttpResponse:
        return render(
            request, "reports/outcome_form.html", {"case": case, "form": form}, status=status
        )

    return form_action(
        request,
        form=form,
        perform=lambda data: services.outcome_record(
            by=user,
            case=case,
            **{name: value for name, value in data.items() if name != "form_token"},
        ),
        done=_("The client's report is recorded."),
        success_url=reverse("case_detail", args=[case.pk]) + "#outcomes",
        render_form=render_form,
        once=True,
    )


# --- dispatch, satellites, the exit track ------------------------------------------------------

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
def operations_report(request: HttpRequest) -> HttpResponse:
    """The figures the other apps add: dispatch days and co-payments, satellite utilisation,
    the exit track (docs/reports.md, "Operations")."""
    form, filters = _filters(request)
    if filters is None:
        return render(request, "reports/operations.html", {"form": form}, status=400)
    report = selectors.operations_report(user=request.user, filters=filters)
    sections = [
        (section, [(table, _table_chart(table)) for table in tables])
        for section, tables in report.sections
    ]
    return render(
        request,
        "reports/operations.html",
        {
            "form": form,
            "filters": filters,
            "sections": sections,
            "query": urlencode(filters.query()),
            "reads_every_desk": policy.reads_every_desk(request.user),
        },
    )
