"""Web actions: each parses its form and calls one service through
`casebook.common.web.form_action` (GET shows the form, POST validates, calls the service,
maps its refusals onto the form, redirects)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from casebook.common.extensions import registry
from casebook.common.web import form_action, page_view
from casebook.experts import policy, selectors, services
from casebook.experts.forms import (
    STEP_FORMS,
    ConflictForm,
    DispatchRequestForm,
    UnscheduleForm,
    VisitForm,
    VisitReportForm,
)
from casebook.experts.models import Dispatch, SubQuota
from casebook.experts.views.screens import (
    detail_context,
    expert_context,
    record_reads,
    request_form_context,
)
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services

# The service of each step on the dispatch page; the step's form fields are its arguments.
STEP_SERVICES: dict[str, Callable[..., Dispatch]] = {
    "submit": services.dispatch_submit,
    "approve": services.dispatch_approve,
    "reject": services.dispatch_reject,
    "override_conflict": services.dispatch_override_conflict,
    "complete": services.dispatch_complete,
    "final_report": services.dispatch_file_final_report,
    "settle": services.dispatch_settle,
    "cancel": services.dispatch_cancel,
}
DONE = {
    "submit": gettext_lazy("The dispatch was requested."),
    "approve": gettext_lazy("The dispatch was approved."),
    "reject": gettext_lazy("The request was rejected."),
    "override_conflict": gettext_lazy("The conflict of interest was overridden."),
    "complete": gettext_lazy("The dispatch was completed."),
    "final_report": gettext_lazy("The final report was filed."),
    "settle": gettext_lazy("The dispatch was settled."),
    "cancel": gettext_lazy("The dispatch was cancelled."),
}


def _dispatch_page(request: HttpRequest, pk: int, status: int, **forms: Any) -> HttpResponse:
    """The dispatch page again (read anew: a refused step changed nothing), with the form
    that was sent and its errors."""
    dispatch = selectors.dispatch_get_for_user(user=request.user, pk=pk)
    context = detail_context(request, dispatch, **forms)
    return render(request, "experts/dispatch_detail.html", context, status=status)


@page_view
def dispatch_new(request: HttpRequest, case_id: int) -> HttpResponse:
    """The request form of a case (GET) and the request it sends (POST): a draft, or a
    request submitted at once when the form says so (nothing is saved when it is refused)."""
    case = case_selectors.case_get_for_user(user=request.user, pk=case_id)
    case_services.access_log_record(user=request.user, cases=[case], via="dispatch:web")
    context = request_form_context(request, case)
    if request.method != "POST":
        return render(request, "experts/dispatch_new.html", context)
    form = DispatchRequestForm(
        request.POST,
        programs=context["programs"],
        experts=context["form"].fields["expert"].queryset,
    )
    submit = "submit" in request.POST

    def perform(data: dict[str, Any]) -> Dispatch:
        sub_quota = None
        if data["sub_quota"]:
            sub_quota = SubQuota.objects.filter(pk=data["sub_quota"]).first()
        return services.dispatch_request(
            case=case,
            program=data["program"],
            sub_quota=sub_quota,
            expert=data["expert"],
            purpose=data["purpose"],
            requested_days=data["requested_days"],
            competitors=data["competitors"],
            by=request.user,
            submit=submit,
        )

    return form_action(
        request,
        form=form,
        perform=perform,
        done=_("The dispatch was requested.") if submit else _("The draft was saved."),
        success_url=lambda dispatch: reverse("experts:dispatch", args=[dispatch.pk]),
        render_form=lambda form, status: render(
            request,
            "experts/dispatch_new.html",
            request_form_context(request, case, form),
            status=status,
        ),
    )


@page_view
@require_POST
def dispatch_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step on the dispatch page (approve, reject, complete …), with the version the
    page read."""
    dispatch = selectors.dispatch_get_for_user(user=request.user, pk=pk)
    if action not in STEP_SERVICES:
        raise Http404("no such step")
    record_reads(request, [dispatch])
    service = STEP_SERVICES[action]

    def perform(data: dict[str, Any]) -> Dispatch:
        arguments = dict(data)
        version = arguments.pop("version", None)
        return service(dispatch=dispatch, by=request.user, expected_version=version, **arguments)

    return form_action(
        request,
        form=STEP_FORMS[action](request.POST, prefix=action),
        perform=perform,
        done=DONE[action],
        success_url=reverse("experts:dispatch", args=[pk]),
        render_form=lambda form, status: _dispatch_page(
            request, pk, status, **{f"{action}_form": form}
        ),
    )


@page_view
@require_POST
def visit_create(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = selectors.dispatch_get_for_user(user=request.user, pk=pk)
    record_reads(request, [dispatch])
    return form_action(
        request,
        form=VisitForm(request.POST, prefix="visit"),
        perform=lambda data: services.visit_schedule(dispatch=dispatch, by=request.user, **data),
        done=_("The visit was scheduled."),
        success_url=reverse("experts:dispatch", args=[pk]),
        render_form=lambda form, status: _dispatch_page(request, pk, status, visit_form=form),
    )


@page_view
@require_POST
def visit_delete(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get_for_user(user=request.user, pk=pk)
    record_reads(request, [visit.dispatch])
    return form_action(
        request,
        form=UnscheduleForm(request.POST),
        perform=lambda data: services.visit_unschedule(
            visit=visit, by=request.user, reason=data["reason"] or _("unscheduled")
        ),
        done=_("The visit was removed."),
        success_url=reverse("experts:dispatch", args=[visit.dispatch_id]),
        render_form=lambda form, status: _dispatch_page(
            request, visit.dispatch_id, status, unschedule_form=form
        ),
    )


@page_view
def visit_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The report of a visit: the form (GET, with what was filed) and the filing (POST)."""
    visit = selectors.visit_get_for_user(user=request.user, pk=pk)
    policy.require(request.user, policy.DispatchAction.REPORT, visit.dispatch)
    record_reads(request, [visit.dispatch])
    filed = {
        "report": visit.report,
        "advice": visit.advice,
        "hours": visit.hours or "",
        "client_confirmed_by": visit.client_confirmed_by,
    }
    form = (
        VisitReportForm(request.POST)
        if request.method == "POST"
        else VisitReportForm(initial=filed)
    )
    return form_action(
        request,
        form=form,
        perform=lambda data: services.visit_file_report(visit=visit, by=request.user, **data),
        done=_("The visit report was filed."),
        success_url=reverse("experts:dispatch", args=[visit.dispatch_id]),
        render_form=lambda form, status: render(
            request,
            "experts/visit_report.html",
            {
                "visit": visit,
                "form": form,
                # What other apps draw on the page (the visit's files, attachments/).
                "panels": registry.panels_for_object("visit", request.user, visit),
            },
            status=status,
        ),
    )


@page_view
@require_POST
def conflict_create(request: HttpRequest, pk: int) -> HttpResponse:
    expert = selectors.expert_get_for_user(user=request.user, pk=pk)
    return form_action(
        request,
        form=ConflictForm(request.POST),
        perform=lambda data: services.conflict_declare(expert=expert, by=request.user, **data),
        done=_("The declaration was recorded."),
        success_url=reverse("experts:expert", args=[pk]),
        render_form=lambda form, status: render(
            request,
            "experts/expert_detail.html",
            expert_context(request, expert, conflict_form=form),
            status=status,
        ),
    )
