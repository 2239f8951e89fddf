"""The case page, its timeline partial, the transition actions and the edit form with merge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casebook.accounts.models import User
from casebook.common.errors import ConflictError, StaleVersion, TransitionNotAllowed
from casebook.intake import policy, selectors, services
from casebook.intake.forms import (
    AssignForm,
    CaseEditForm,
    CloseForm,
    HoldForm,
    IpDetailsForm,
    ReopenForm,
    SubcontractDetailsForm,
)
from casebook.intake.models import Case, Confidentiality, Priority, Topic
from casebook.intake.views import queries
from casebook.intake.views.common import apply_service_errors, safe_next, screen

# Include templates other apps provide for the case page, shown when they exist.
CASE_PANELS = ("referrals/_case_panel.html", "experts/_case_panel.html")

_ACTION_POLICY = {
    "assign": policy.Action.ASSIGN,
    "hold": policy.Action.HOLD,
    "resume": policy.Action.RESUME,
    "close": policy.Action.CLOSE,
    "reopen": policy.Action.REOPEN,
    "edit": policy.Action.EDIT,
    "log_session": policy.Action.LOG_SESSION,
}


def require_offered(user: User, case: Case, name: str) -> None:
    """403 naming the rule when the role is missing, 409 when the case's state forbids it."""
    if name in queries.available_actions(user, case):
        return
    policy.require(user, _ACTION_POLICY[name], case)
    raise TransitionNotAllowed(current=case.status, requested=name)


def case_staff(case: Case, *extra: User) -> Any:
    return queries.desk_staff(
        case.desk, include=[case.lead_counselor, *case.co_counselors.all(), *extra]
    )


def _panels() -> list[str]:
    found = []
    for name in CASE_PANELS:
        try:
            get_template(name)
        except TemplateDoesNotExist:
            continue
        found.append(name)
    return found


def _case_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    actions = queries.available_actions(request.user, case)
    return {
        "case": case,
        "actions": actions,
        "timeline": queries.case_timeline(request.user, case),
        "assign_form": (
            AssignForm(staff=case_staff(case), prefix="assign") if "assign" in actions else None
        ),
        "hold_form": HoldForm(prefix="hold") if "hold" in actions else None,
        "close_form": CloseForm(prefix="close") if "close" in actions else None,
        "reopen_form": ReopenForm(prefix="reopen") if "reopen" in actions else None,
        "panels": _panels(),
        "desk_details": queries.desk_details(case),
    }


@screen
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get_for_user(request.user, pk)
    return render(request, "intake/case_detail.html", _case_context(request, case))


@screen
def case_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """Only the timeline, for the live refresh of the case page."""
    case = selectors.case_get_for_user(request.user, pk, via="timeline")
    return render(
        request,
        "intake/case_detail.html#timeline",
        {"case": case, "timeline": queries.case_timeline(request.user, case)},
    )


# --- transitions ------------------------------------------------------------------------------


def _transition(
    request: HttpRequest,
    pk: int,
    *,
    name: str,
    form_class: Callable[..., forms.Form],
    perform: Callable[[Case, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """GET shows the action's form; POST validates, calls the service, goes back to the case."""
    case = selectors.case_get_for_user(request.user, pk)
    require_offered(request.user, case, name)
    # The prefix keeps the ids unique on the case page, where all the action forms sit.
    form = form_class(request.POST if request.method == "POST" else None, prefix=name)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            perform(case, form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        except ConflictError as error:
            # Open work (a dispatch, a referral) blocks it: say so above the form, keep the input.
            form.add_error(None, error.message)
            status = 409
        else:
            messages.success(request, done)
            return redirect(safe_next(request, reverse("case_detail", args=[case.pk])))
    return render(
        request,
        "intake/case_action.html",
        {"case": case, "form": form, "action": name, "next": safe_next(request, "")},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@screen
def case_hold(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request,
        pk,
        name="hold",
        form_class=HoldForm,
        perform=lambda case, data: services.case_hold(
            case=case, by=request.user, reason=data["reason"], resume_by=data["resume_by"]
        ),
        done=_("The case is on hold."),
    )


@require_http_methods(["GET", "POST"])
@screen
def case_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request,
        pk,
        name="resume",
        form_class=forms.Form,
        perform=lambda case, data: services.case_resume(case=case, by=request.user),
        done=_("The case is resumed."),
    )


@require_http_methods(["GET", "POST"])
@screen
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(case: Case, data: dict[str, Any]) -> Case:
        survivor = None
        if data["duplicate_of"]:
            try:
                survivor = selectors.case_get_by_number_for_user(request.user, data["duplicate_of"])
            except Http404 as error:
                raise ValidationError(
                    {"duplicate_of": _("no case with this number that you may see")}
                ) from error
        return services.case_close(
            case=case,
            by=request.user,
            reason=data["reason"],
            summary=data["summary"],
            duplicate_of=survivor,
        )

    return _transition(
        request,
        pk,
        name="close",
        form_class=CloseForm,
        perform=perform,
        done=_("The case is closed."),
    )


@require_http_methods(["GET", "POST"])
@screen
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request,
        pk,
        name="reopen",
        form_class=ReopenForm,
        perform=lambda case, data: services.case_reopen(
            case=case, by=request.user, reason=data["reason"]
        ),
        done=_("The case is reopened."),
    )


@require_http_methods(["GET", "POST"])
@screen
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Coordinators choose the lead; a counselor may take an intake (`take` in the post)."""
    case = selectors.case_get_for_user(request.user, pk)
    back = safe_next(request, reverse("case_detail", args=[case.pk]))
    if request.method == "POST" and request.POST.get("take"):
        if not policy.can_self_assign(request.user, case):
            require_offered(request.user, case, "assign")
        try:
            services.case_assign(case=case, counselor=request.user, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("You lead this case now."))
        return redirect(back)
    require_offered(request.user, case, "assign")
    form = AssignForm(
        request.POST if request.method == "POST" else None, staff=case_staff(case), prefix="assign"
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.case_assign(
                case=case,
                counselor=form.cleaned_data["counselor"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s leads %(number)s now.")
                % {"name": form.cleaned_data["counselor"], "number": case.number},
            )
            return redirect(back)
    return render(
        request,
        "intake/case_action.html",
        {"case": case, "form": form, "action": "assign", "next": safe_next(request, "")},
    )


# --- edit with merge ----------------------------------------------------------------------------


def _initial(case: Case) -> dict[str, Any]:
    return {
        "version": case.version,
        "title": case.title,
        "topics": [t.code for t in case.topics.all()],
        "priority": case.priority,
        "confidentiality": case.confidentiality,
        "co_counselors": list(case.co_counselors.all()),
    }


def _readable(name: str, value: Any) -> str:
    if name == "topics":
        names = dict(Topic.objects.filter(code__in=value or []).values_list("code", "name"))
        return "、".join(names.get(code, code) for code in value or []) or "—"
    if name == "co_counselors":
        return "、".join(str(u) for u in value or []) or "—"
    if name == "priority":
        return str(Priority(value).label) if value in Priority.values else str(value)
    if name == "confidentiality":
        return str(Confidentiality(value).label) if value in Confidentiality.values else str(value)
    return str(value or "—")


def _comparison(form: CaseEditForm, theirs: dict[str, Any], yours: dict[str, Any]) -> list[dict]:
    rows = []
    for name in CaseEditForm.COMPARED:
        mine, other = yours.get(name), theirs.get(name)
        if name in ("topics", "co_counselors"):
            differs = sorted(map(str, mine or [])) != sorted(map(str, other or []))
        else:
            differs = mine != other
        rows.append(
            {
                "name": name,
                "label": form.fields[name].label,
                "theirs": _readable(name, other),
                "yours": _readable(name, mine),
                "differs": differs,
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
@screen
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the details. Saving over a newer change shows both versions side by side."""
    case = selectors.case_get_for_user(request.user, pk)
    require_offered(request.user, case, "edit")
    restricted = case.confidentiality == Confidentiality.RESTRICTED
    staff = case_staff(case)
    form = CaseEditForm(
        request.POST if request.method == "POST" else None,
        initial=_initial(case),
        staff=staff,
        restricted=restricted,
    )
    context: dict[str, Any] = {"case": case, "form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.case_update(
                case=case,
                by=request.user,
                expected_version=data["version"],
                title=data["title"],
                topics=data["topics"],
                priority=data["priority"],
                confidentiality=None if restricted else data["confidentiality"],
                co_counselors=data["co_counselors"],
            )
        except StaleVersion:
            current = selectors.case_get_for_user(request.user, pk)
            theirs = _initial(current)
            latest = current.history.select_related("history_user").first()
            # Keep what was typed; the new version lets a second save apply it on purpose.
            merged = request.POST.copy()
            merged["version"] = str(current.version)
            form = CaseEditForm(merged, initial=theirs, staff=staff, restricted=restricted)
            form.is_valid()
            context.update(
                case=current,
                form=form,
                conflict=_comparison(form, theirs, data),
                their_user=latest.history_user if latest else None,
                their_at=latest.history_date if latest else None,
            )
            status = 409
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The case is saved."))
            return redirect("case_detail", pk=case.pk)
    return render(request, "intake/case_edit.html", context, status=status)


# --- desk specifics -------------------------------------------------------------------------------

_DETAIL_FORMS = {"subcontract": SubcontractDetailsForm, "ip": IpDetailsForm}
_DETAIL_SERVICES = {
    "subcontract": services.subcontract_details_update,
    "ip": services.ip_details_update,
}


@require_http_methods(["GET", "POST"])
@screen
def case_desk_details(request: HttpRequest, pk: int) -> HttpResponse:
    """The dispute desk's or the IP desk's own fields of a case."""
    case = selectors.case_get_for_user(request.user, pk)
    code = case.desk.code
    if code not in _DETAIL_FORMS:
        raise Http404("this desk records no details of its own")
    require_offered(request.user, case, "edit")
    current = queries.desk_details(case)["details"]
    initial = (
        {name: getattr(current, name) for name in _DETAIL_FORMS[code].base_fields}
        if (current)
        else {}
    )
    form = _DETAIL_FORMS[code](request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            _DETAIL_SERVICES[code](case=case, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        except TransitionNotAllowed as error:
            form.add_error("adr_state", error.message)
            status = 409
        else:
            messages.success(request, _("The details are saved."))
            return redirect("case_detail", pk=case.pk)
    return render(
        request, "intake/case_desk_details.html", {"case": case, "form": form}, status=status
    )
