"""POST actions: parse the form, call one service, redirect (or show the form's errors)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from casebook.common.errors import ConflictError
from casebook.common.web import apply_service_errors, form_action, page_view
from casebook.experts import selectors, services
from casebook.experts.forms import (
    ApproveForm,
    CompleteForm,
    ConflictForm,
    DispatchRequestForm,
    FinalReportForm,
    ReasonForm,
    VisitForm,
    VisitReportForm,
)
from casebook.experts.models import DispatchVisit, SubQuota
from casebook.experts.views.screens import detail_context, request_form_context
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services


def _messages_of(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(e.messages)}" for field, e in error.error_dict.items()
        )
    return " ".join(error.messages)


@page_view
@require_POST
def dispatch_create(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.case_get_for_user(user=request.user, pk=case_id)
    case_services.access_log_record(user=request.user, cases=[case], via="dispatch:web")
    context = request_form_context(request, case)
    form = DispatchRequestForm(
        request.POST,
        programs=context["programs"],
        experts=context["form"].fields["expert"].queryset,
    )
    if form.is_valid():
        data = form.cleaned_data
        sub_quota = None
        if data["sub_quota"]:
            sub_quota = SubQuota.objects.filter(pk=data["sub_quota"]).first()
        try:
            dispatch = services.dispatch_request(
                case=case,
                program=data["program"],
                sub_quota=sub_quota,
                expert=data["expert"],
                purpose=data["purpose"],
                requested_days=data["requested_days"],
                competitors=data["competitors"],
                by=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if "submit" in request.POST:
                try:
                    services.dispatch_submit(dispatch=dispatch, by=request.user)
                    messages.success(request, _("The dispatch was requested."))
                except ConflictError as error:
                    messages.error(request, error.message)
                except ValidationError as error:
                    messages.error(request, _messages_of(error))
            else:
                messages.success(request, _("The draft was saved."))
            return redirect("experts:dispatch", pk=dispatch.pk)
    context = request_form_context(request, case, form)
    return render(request, "experts/dispatch_new.html", context, status=400)


# action -> (form class, prefix, the service call)
ACTIONS: dict[str, tuple[type[forms.Form], str, Callable[[Any, Any, dict[str, Any]], Any]]] = {
    "submit": (
        forms.Form,
        "submit",
        lambda dispatch, user, data: services.dispatch_submit(dispatch=dispatch, by=user),
    ),
    "approve": (
        ApproveForm,
        "approve",
        lambda dispatch, user, data: services.dispatch_approve(
            dispatch=dispatch, by=user, days=data.get("days")
        ),
    ),
    "reject": (
        ReasonForm,
        "reject",
        lambda dispatch, user, data: services.dispatch_reject(
            dispatch=dispatch, by=user, reason=data["reason"]
        ),
    ),
    "cancel": (
        ReasonForm,
        "cancel",
        lambda dispatch, user, data: services.dispatch_cancel(
            dispatch=dispatch, by=user, reason=data["reason"]
        ),
    ),
    "override": (
        ReasonForm,
        "override",
        lambda dispatch, user, data: services.dispatch_override_conflict(
            dispatch=dispatch, by=user, reason=data["reason"]
        ),
    ),
    "complete": (
        CompleteForm,
        "complete",
        lambda dispatch, user, data: services.dispatch_complete(
            dispatch=dispatch, by=user, final_report=data.get("final_report", "")
        ),
    ),
    "final": (
        FinalReportForm,
        "final",
        lambda dispatch, user, data: services.dispatch_file_final_report(
            dispatch=dispatch, by=user, text=data["text"]
        ),
    ),
    "settle": (
        forms.Form,
        "settle",
        lambda dispatch, user, data: services.dispatch_settle(dispatch=dispatch, by=user),
    ),
}
# The forms of the dispatch page that show their own errors; the others' go to the messages.
FORMS_SHOWING_ERRORS = frozenset({"approve", "complete"})
DONE = {
    "submit": gettext_lazy("The dispatch was requested."),
    "approve": gettext_lazy("The dispatch was approved."),
    "reject": gettext_lazy("The request was rejected."),
    "cancel": gettext_lazy("The dispatch was cancelled."),
    "override": gettext_lazy("The conflict of interest was overridden."),
    "complete": gettext_lazy("The dispatch was completed."),
    "final": gettext_lazy("The final report was filed."),
    "settle": gettext_lazy("The dispatch was settled."),
}


@page_view
@require_POST
def dispatch_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    dispatch = selectors.dispatch_get_for_user(request.user, pk)
    if action not in ACTIONS:
        return redirect("experts:dispatch", pk=pk)
    form_class, prefix, perform = ACTIONS[action]

    def render_form(form: forms.Form, status: int) -> HttpResponse:
        if form.non_field_errors() and prefix not in FORMS_SHOWING_ERRORS:
            messages.error(request, " ".join(form.non_field_errors()))
        shown = selectors.dispatch_get_for_user(request.user, pk)
        context = detail_context(request, shown, **{f"{prefix}_form": form})
        return render(request, "experts/dispatch_detail.html", context, status=status)

    return form_action(
        request,
        form=form_class(request.POST, prefix=prefix),
        perform=lambda data: perform(dispatch, request.user, data),
        done=DONE[action],
        success_url=reverse("experts:dispatch", args=[pk]),
        render_form=render_form,
    )


@page_view
@require_POST
def visit_create(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = selectors.dispatch_get_for_user(request.user, pk)
    form = VisitForm(request.POST, prefix="visit")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.visit_schedule(
                dispatch=dispatch,
                by=request.user,
                date=data["date"],
                day_fraction=data["day_fraction"],
                hours=data["hours"],
                place=data["place"],
            )
        except ConflictError as error:
            form.add_error(None, error.message)
            status = 409
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The visit was scheduled."))
            return redirect("experts:dispatch", pk=pk)
    dispatch.refresh_from_db()
    context = detail_context(request, dispatch, visit_form=form)
    return render(request, "experts/dispatch_detail.html", context, status=status)


@page_view
@require_POST
def visit_delete(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get_for_user(request.user, pk)
    reason = request.POST.get("reason", "") or _("unscheduled")
    try:
        services.visit_unschedule(visit=visit, by=request.user, reason=reason)
    except (ConflictError, ValidationError) as error:
        messages.error(request, getattr(error, "message", None) or _messages_of(error))
    return redirect("experts:dispatch", pk=visit.dispatch_id)


def file_visit_report(request: HttpRequest, visit: DispatchVisit) -> HttpResponse:
    form = VisitReportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.visit_file_report(visit=visit, by=request.user, **data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The visit report was filed."))
            return redirect("experts:dispatch", pk=visit.dispatch_id)
    return render(request, "experts/visit_report.html", {"visit": visit, "form": form}, status=400)


@page_view
@require_POST
def conflict_create(request: HttpRequest, pk: int) -> HttpResponse:
    expert = selectors.expert_get_for_user(request.user, pk)
    form = ConflictForm(request.POST)
    if form.is_valid():
        try:
            services.conflict_declare(expert=expert, by=request.user, **form.cleaned_data)
            messages.success(request, _("The declaration was recorded."))
        except ValidationError as error:
            messages.error(request, _messages_of(error))
    else:
        messages.error(request, _("Name the company and the relation."))
    return redirect("experts:expert", pk=pk)
