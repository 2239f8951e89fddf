"""POST actions: parse the form, call one service, redirect (or show the form's errors)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from casebook.common.errors import ConflictError
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
from casebook.intake.views.common import apply_service_errors, screen


def _messages_of(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(e.messages)}" for field, e in error.error_dict.items()
        )
    return " ".join(error.messages)


@screen
@require_POST
def dispatch_create(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.case_get_for_user(request.user, case_id)
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


def _call(action: str, dispatch: Any, user: Any, data: dict[str, Any]) -> Any:
    if action == "submit":
        return services.dispatch_submit(dispatch=dispatch, by=user)
    if action == "approve":
        return services.dispatch_approve(dispatch=dispatch, by=user, days=data.get("days"))
    if action == "reject":
        return services.dispatch_reject(dispatch=dispatch, by=user, reason=data["reason"])
    if action == "cancel":
        return services.dispatch_cancel(dispatch=dispatch, by=user, reason=data["reason"])
    if action == "override":
        return services.dispatch_override_conflict(
            dispatch=dispatch, by=user, reason=data["reason"]
        )
    if action == "complete":
        return services.dispatch_complete(
            dispatch=dispatch, by=user, final_report=data.get("final_report", "")
        )
    if action == "final":
        return services.dispatch_file_final_report(dispatch=dispatch, by=user, text=data["text"])
    if action == "settle":
        return services.dispatch_settle(dispatch=dispatch, by=user)
    raise ValueError(action)


# action -> (form class, prefix)
FORMS: dict[str, tuple[type | None, str]] = {
    "submit": (None, ""),
    "approve": (ApproveForm, "approve"),
    "reject": (ReasonForm, "reject"),
    "cancel": (ReasonForm, "cancel"),
    "override": (ReasonForm, "override"),
    "complete": (CompleteForm, "complete"),
    "final": (FinalReportForm, "final"),
    "settle": (None, ""),
}
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


@screen
@require_POST
def dispatch_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    dispatch = selectors.dispatch_get_for_user(request.user, pk)
    if action not in FORMS:
        return redirect("experts:dispatch", pk=pk)
    form_class, prefix = FORMS[action]
    form = form_class(request.POST, prefix=prefix) if form_class else None
    if form is not None and not form.is_valid():
        context = detail_context(request, dispatch, **{f"{prefix}_form": form})
        return render(request, "experts/dispatch_detail.html", context, status=400)
    try:
        _call(action, dispatch, request.user, form.cleaned_data if form else {})
    except ConflictError as error:
        messages.error(request, error.message)
        context = detail_context(request, dispatch)
        return render(request, "experts/dispatch_detail.html", context, status=409)
    except ValidationError as error:
        if form is None:
            messages.error(request, _messages_of(error))
            return redirect("experts:dispatch", pk=pk)
        apply_service_errors(form, error, rename={"days": "days", "text": "text"})
        context = detail_context(request, dispatch, **{f"{prefix}_form": form})
        return render(request, "experts/dispatch_detail.html", context, status=400)
    messages.success(request, DONE[action])
    return redirect("experts:dispatch", pk=pk)


@screen
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


@screen
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


@screen
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
