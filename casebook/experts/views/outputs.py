"""Outputs: the printable dispatch order, the expert's iCalendar feed, the co-payment CSV."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from casebook.common.exports import csv_response
from casebook.common.fiscal import fiscal_year_label, wareki_date
from casebook.common.web import page_view
from casebook.experts import ical, policy, rules, selectors
from casebook.experts.views.screens import record_reads
from casebook.intake import services as case_services

CSV_HEADER = [
    "派遣番号",
    "完了日",
    "案件番号",
    "企業名",
    "事業",
    "枠",
    "専門家",
    "利用日数",
    "日額(円)",
    "負担ルール",
    "企業負担金(円)",
    "状態",
]


@page_view
def dispatch_order(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = selectors.dispatch_get_for_user(user=request.user, pk=pk)
    policy.require_order_printable(dispatch)
    record_reads(request, [dispatch], via="order")
    today = timezone.localdate()
    return render(
        request,
        "experts/order.html",
        {
            "dispatch": dispatch,
            "visits": dispatch.visits.all(),
            "issued_on": wareki_date(timezone.localtime(dispatch.approved_at).date()),
            "printed_on": wareki_date(today),
            "fy_label": fiscal_year_label(dispatch.program.fiscal_year),
            "copay_label": rules.copay_rule_label(dispatch.program, dispatch.sub_quota),
        },
    )


@require_GET
def expert_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret-token iCalendar feed: no login (calendar apps cannot log in)."""
    expert = selectors.expert_by_calendar_token(token=token)
    since = timezone.localdate() - dt.timedelta(days=180)
    body = ical.calendar_for(
        expert, selectors.visits_of_expert(expert=expert, start=since), host=request.get_host()
    )
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="dispatch.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def _month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.split("-"))
        dt.date(year, month, 1)
        return year, month
    except ValueError:
        today = timezone.localdate()
        return today.year, today.month


@page_view
def copay_csv(request: HttpRequest) -> HttpResponse:
    """The month's co-payments, UTF-8 with a BOM so Excel opens it in Japanese."""
    policy.require_copay_export(request.user)
    year, month = _month(request.GET.get("month", ""))
    rows = selectors.copay_rows(user=request.user, year=year, month=month)
    # An export of a restricted case's dispatch is a read of it (docs/rules.md, "Access log").
    case_services.access_log_record(
        user=request.user, cases=[row["case_record"] for row in rows], via="export"
    )
    lines = [
        [
            row["dispatch"],
            row["finished_on"],
            row["case"],
            row["client"],
            row["program"],
            row["sub_quota"],
            row["expert"],
            row["used_days"],
            row["day_rate_yen"],
            row["rule"],
            row["copay_yen"],
            row["status"],
        ]
        for row in rows
    ]
    lines.append(
        ["合計", "", "", "", "", "", "", "", "", "", sum(r["copay_yen"] for r in rows), ""]
    )
    return csv_response(f"copay-{year}-{month:02d}.csv", CSV_HEADER, lines)
