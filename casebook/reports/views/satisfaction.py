"""The satisfaction survey's results (docs/reports.md, "Satisfaction survey")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casebook.common.paging import page_number
from casebook.common.web import page_view
from casebook.reports import charts, selectors
from casebook.reports.models import SurveyScore
from casebook.reports.selectors import ReportFilters
from casebook.reports.views.common import report_page


@require_GET
@page_view
@report_page("reports/satisfaction.html")
def satisfaction_report(request: HttpRequest, filters: ReportFilters) -> dict[str, Any]:
    """The survey's results by desk, counselor and month; the comments for managers."""
    report = selectors.satisfaction_report(
        user=request.user, filters=filters, comments=True, page=page_number(request.GET)
    )
    labels = dict(SurveyScore.choices)
    scores = sorted(labels, reverse=True)
    return {
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
    }
