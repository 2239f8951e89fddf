"""The funder packs' pages and their XLSX (docs/reports.md, "Funder packs")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from casebook.common.exports import xlsx_form_response
from casebook.common.web import page_view
from casebook.reports import charts, policy, selectors, tables
from casebook.reports.selectors.funders import YOROZU
from casebook.reports.views.common import fy_of


def _pack_chart(pack: Any) -> Any:
    """The pack's headline figures by month: the consultation count, and the visitors (よろず)
    or the expert dispatch days (IP)."""
    second = pack.row("visitors") if pack.pack == YOROZU else pack.row("dispatch_days")
    series = [(pack.rows[0].label, pack.rows[0].months)]
    if second is not None:
        series.append((second.label, second.months))
    return charts.bar_chart(pack.title, pack.month_labels, series)


@require_GET
@page_view
def funder_pack(request: HttpRequest, pack: str) -> HttpResponse:
    """A funder pack's page (docs/reports.md, "Funder packs"), laid out to print."""
    policy.require_org_reader(request.user)
    report = selectors.funder_pack(user=request.user, pack=pack, fiscal_year=fy_of(request))
    groups: list[tuple[str, list[Any]]] = []
    for row in report.rows:
        if not groups or groups[-1][0] != row.group:
            groups.append((row.group, []))
        groups[-1][1].append(row)
    return render(
        request,
        "reports/funder_pack.html",
        {
            "pack": report,
            "groups": groups,
            "chart": _pack_chart(report),
            "preamble": tables.funder_preamble(report),
            "xlsx_url": reverse(f"reports:funders_{pack}_xlsx") + f"?fy={report.fiscal_year}",
            "reads_every_desk": True,
        },
    )


@require_GET
@page_view
def funder_pack_xlsx(request: HttpRequest, pack: str) -> HttpResponse:
    """The same pack as one sheet in the funder's layout."""
    policy.require_org_reader(request.user)
    report = selectors.funder_pack(user=request.user, pack=pack, fiscal_year=fy_of(request))
    return xlsx_form_response(
        f"{pack}-FY{report.fiscal_year}.xlsx",
        report.title,
        tables.funder_preamble(report),
        tables.funder_header(report),
        tables.funder_rows(report),
    )
