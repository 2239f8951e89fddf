"""The satisfaction survey's results (docs/reports.md, "Satisfaction survey")."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casebook.common.paging import page_number
from casebook.common.web import page_view
from casebook.reports import charts, policy, selectors
from casebook.reports.models import SurveyScore
from casebook.reports.views.common import filters_of


@require_GET
@page_view
def satisfaction_report(request: HttpRequest) -> HttpResponse:
    """The survey's results by desk, counselor and month; the comments for managers."""
    form, filters = filters_of(request)
    if filters is None:
        return render(request, "reports/satisfaction.html", {"form": form}, status=400)
    report = selectors.satisfaction_report(
        user=request.user, filters=filters, comments=True, page=page_number(request.GET)
    )
    labels = dict(SurveyScore.choices)
    scores = sorted(labels, reverse=True)
    query = filters.query()
    return render(
        request,
        "reports/satisfaction.html",
        {
            "form": form,
            "filters": filters,
            "report": report,
            "scores": [(score, labels[score]) for score in scores],
            "distribution_chart": charts.bar_chart(
                _("Answers by satisfaction"),
                [str(labels[score]) for score in scores],
                [(_("answers"), [report.total.distribution[score] for score in scores])],
            ),
            "month_chart": charts.bar_chart(
                _("Surveys by month"),
                [str(int(row.key[-2:])) for row in report.by_month],
                [
                    (_("sent"), [row.sent for row in report.by_month]),
                    (_("answered"), [row.answered for row in report.by_month]),
                ],
            ),
            "query": urlencode(query),
            "page_query": urlencode(query) + "&",
            "reads_every_desk": policy.reads_every_desk(request.user),
        },
    )
