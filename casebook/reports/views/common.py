"""What the report screens share: the filters a request names, its fiscal year."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from casebook.common.fiscal import current_fiscal_year
from casebook.reports import policy
from casebook.reports.forms import ReportFilterForm
from casebook.reports.selectors import ReportFilters


def filters_of(request: HttpRequest) -> tuple[ReportFilterForm, ReportFilters | None]:
    policy.require_reader(request.user)
    form = ReportFilterForm(request.GET, user=request.user)
    return form, (form.filters() if form.is_valid() else None)


def bad_filters(form: ReportFilterForm) -> HttpResponse:
    lines = [f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()]
    return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")


def fy_of(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("fy") or current_fiscal_year())
    except ValueError:
        return current_fiscal_year()
