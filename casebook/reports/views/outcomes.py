"""What clients reported: the outcomes report and recording a report from the case page
(docs/reports.md, "Outcomes")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from casebook.common.paging import page_number
from casebook.common.web import form_action, new_form_token, page_view, posted
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services
from casebook.intake.models import CaseStatus, OutcomeOccasion
from casebook.reports import charts, policy, selectors, services
from casebook.reports.forms import OutcomeForm
from casebook.reports.selectors import ReportFilters
from casebook.reports.views.common import report_page


@require_GET
@page_view
@report_page("reports/outcomes.html")
def outcome_report(request: HttpRequest, filters: ReportFilters) -> dict[str, Any]:
    """What clients reported in the year: the change per client and in aggregate."""
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
    return {"report": report, "chart": chart}


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
        posted(request),
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
