"""What the report screens share: the filters a request names, its fiscal year, the page
drawn from them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from casebook.common.fiscal import current_fiscal_year
from casebook.reports import policy
from casebook.reports.forms import ReportFilterForm
from casebook.reports.selectors import ReportFilters


def filters_of(request: HttpRequest) -> tuple[ReportFilterForm, ReportFilters | None]:
    policy.require_reader(request.user)
    form = ReportFilterForm(request.GET, user=request.user)
    return form, (form.filters() if form.is_valid() else None)


ReportBody = Callable[[HttpRequest, ReportFilters], Mapping[str, Any]]


def report_page(template: str) -> Callable[[ReportBody], Callable[[HttpRequest], HttpResponse]]:
    """A report screen drawn from the filters the request names: `body(request, filters)`
    gives what the report adds to the page; filters that do not hold show their form again
    (400). Every report page has its filters, their query (for the exports and the pager)
    and whether the reader reads every desk."""

    def wrap(body: ReportBody) -> Callable[[HttpRequest], HttpResponse]:
        @functools.wraps(body)
        def view(request: HttpRequest) -> HttpResponse:
            form, filters = filters_of(request)
            if filters is None:
                return render(request, template, {"form": form}, status=400)
            query = urlencode(filters.query())
            context = {
                "form": form,
                "filters": filters,
                "query": query,
                "page_query": query + "&",
                "reads_every_desk": policy.reads_every_desk(request.user),
            }
            return render(request, template, context | dict(body(request, filters)))

        return view

    return wrap


def bad_filters(form: ReportFilterForm) -> HttpResponse:
    lines = [f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()]
    return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")


def fy_of(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("fy") or current_fiscal_year())
    except ValueError:
        return current_fiscal_year()
