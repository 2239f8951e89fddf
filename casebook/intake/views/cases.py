"""The case page, its timeline partial, the transition actions and the edit form with merge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from casebook.accounts.models import User
from casebook.accounts.selectors import desk_case_workers
from casebook.common.errors import StaleVersion
from casebook.common.extensions import registry
from casebook.common.web import apply_service_errors, form_action, page_view, posted, safe_next
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


def case_staff(case: Case, *extra: User) -> QuerySet[User]:
    """Who may be named on `case`: its desk's case workers and whoever is on it already."""
    return desk_case_workers(
        desk=case.desk, include=[case.lead_counselor, *case.co_counselors.all(), *extra]
    )


def _visible_case(request: HttpRequest, pk: int, *, via: str = "web") -> Case:
    """The case of the URL (404 when unseen), its read logged when it is restricted."""
    case = selectors.case_page_get_for_user(user=request.user, pk=pk)
    services.access_log_record(user=request.user, cases=[case], via=via)
    return case


def _whole_timeline(request: HttpRequest) -> bool:
    return request.GET.get("timeline") == "all"


def _timeline(request: HttpRequest, case: Case, offered: frozenset[str]) -> dict[str, Any]:
    """The timeline part of the page's context: its newest entries and whether older ones wait
    behind the "whole timeline" link, or all of it when the link asked (`?timeline=all`)."""
    if _whole_timeline(request):
        entries = selectors.case_timeline(user=request.user, case=case, offered=offered)
        return {"timeline": entries, "older_entries": False}
    entries, older = selectors.case_timeline_page(user=request.user, case=case, offered=offered)
    return {"timeline": entries, "older_entries": older}


@page_view
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = _visible_case(request, pk)
    offered = policy.offered_actions(user, case)

    def action_form(name: str, form_class: Callable[..., forms.Form], **kwargs: Any) -> Any:
        return form_class(prefix=name, **kwargs) if name in offered else None

    context = {
        "case": case,
        "actions": offered,
        **_timeline(request, case, offered),
        # The live refresh keeps what the reader chose: the newest entries or all of them.
        "timeline_url": reverse("case_timeline", args=[case.pk])
        + ("?timeline=all" if _whole_timeline(request) else ""),
        "assign_form": action_form("assign", AssignForm, staff=case_staff(case)),
        "hold_form": action_form("hold", HoldForm),
        "close_form": action_form("close", CloseForm),
        "reopen_form": action_form("reopen", ReopenForm),
        "panels": registry.panels_for(user, case),
        "desk_details": selectors.case_desk_details(case=case),
    }
    return render(request, "intake/case_detail.html", context)


@page_view
def case_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """Only the timeline, for the live refresh of the case page."""
    case = _visible_case(request, pk, via="timeline")
    offered = policy.offered_actions(request.user, case)
    context = {"case": case, "actions": offered, **_timeline(request, case, offered)}
    return render(request, "intake/case_detail.html#timeline", context)


@page_view
def case_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable case record (相談カルテ): one A4 document for a meeting or a hand-over,
    holding what the case page shows this reader (the timeline's providers apply their
    policies) and no more; its read is logged like the page's."""
    user = request.user
    case = _visible_case(request, pk, via="record")
    offered = policy.offered_actions(user, case)
    context = {
        "case": case,
        "timeline": selectors.case_timeline(user=user, case=case, offered=offered),
        "contacts": (
            list(selectors.contact_list_for_user(user=user, client=case.client))
            if case.client
            else []
        ),
        "desk_details": selectors.case_desk_details(case=case),
        "printed_at": timezone.now(),
        "printed_by": user,
    }
    return render(request, "intake/case_record.html", context)


# --- transitions ------------------------------------------------------------------------------


def _case_action(
    request: HttpRequest,
    pk: int,
    *,
    name: str,
    form_class: Callable[..., forms.Form],
    perform: Callable[[Case, dict[str, Any]], Any],
    done: str | Callable[[Any], str],
    form_kwargs: Callable[[Case], dict[str, Any]] | None = None,
) -> HttpResponse:
    """One transition of the case page as its own page: the case (404 when unseen), the
    offer checked (403 naming the rule, 409 naming the states), then `form_action`."""
    case = _visible_case(request, pk)
    policy.require_offered(request.user, case, name)
    # The prefix keeps the ids unique on the case page, where all the action forms sit.
    form = form_class(
        posted(request),
        prefix=name,
        **(form_kwargs(case) if form_kwargs else {}),
    )
    return form_action(
        request,
        form=form,
        perform=lambda data: perform(case, data),
        done=done,
        success_url=safe_next(request, reverse("case_detail", args=[case.pk])),
        render_form=lambda form, status: render(
            request,
            "intake/case_action.html",
            {"case": case, "form": form, "action": name, "next": safe_next(request, "")},
            status=status,
        ),
    )


def _close(request: HttpRequest, case: Case, data: dict[str, Any]) -> Case:
    survivor = None
    if data["duplicate_of"]:
        try:
            survivor = selectors.case_get_by_number_for_user(
                user=request.user, number=data["duplicate_of"]
            )
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


# The transitions that have a page of their own (one route each, generated from this table in
# intake/urls.py), by the name their route and their offer share: the form, the service call,
# the message.
CASE_TRANSITIONS: dict[
    str,
    tuple[Callable[..., forms.Form], Callable[[HttpRequest, Case, dict[str, Any]], Any], str],
] = {
    "hold": (
        HoldForm,
        lambda request, case, data: services.case_hold(case=case, by=request.user, **data),
        gettext_lazy("The case is on hold."),
    ),
    "resume": (
        forms.Form,
        lambda request, case, data: services.case_resume(case=case, by=request.user),
        gettext_lazy("The case is resumed."),
    ),
    "close": (CloseForm, _close, gettext_lazy("The case is closed.")),
    "reopen": (
        ReopenForm,
        lambda request, case, data: services.case_reopen(case=case, by=request.user, **data),
        gettext_lazy("The case is reopened."),
    ),
}


@require_http_methods(["GET", "POST"])
@page_view
def case_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """The page of one transition of `CASE_TRANSITIONS`: GET shows its form, POST performs it."""
    form_class, perform, done = CASE_TRANSITIONS[name]
    return _case_action(
        request,
        pk,
        name=name,
        form_class=form_class,
        perform=lambda case, data: perform(request, case, data),
        done=done,
    )


@require_http_methods(["GET", "POST"])
@page_view
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Coordinators choose the lead; a counselor may take an intake (`take` in the post)."""
    if request.method == "POST" and request.POST.get("take"):
        return _take(request, pk)
    return _case_action(
        request,
        pk,
        name="assign",
        form_class=AssignForm,
        form_kwargs=lambda case: {"staff": case_staff(case)},
        perform=lambda case, data: services.case_assign(
            case=case, counselor=data["counselor"], by=request.user, reason=data["reason"]
        ),
        done=lambda case: (
            _("%(name)s leads %(number)s now.")
            % {"name": case.lead_counselor, "number": case.number}
        ),
    )


def _take(request: HttpRequest, pk: int) -> HttpResponse:
    """A counselor takes an intake at the counter: no form, one button. Whoever may assign
    may take a case this way too."""
    case = _visible_case(request, pk)
    offered = policy.offered_actions(request.user, case)
    policy.require_offered(request.user, case, "take" if "take" in offered else "assign")
    try:
        services.case_assign(case=case, counselor=request.user, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You lead this case now."))
    return redirect(safe_next(request, reverse("case_detail", args=[case.pk])))


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
@page_view
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the details. Saving over a newer change shows both versions side by side."""
    case = _visible_case(request, pk)
    policy.require_offered(request.user, case, "edit")
    restricted = case.confidentiality == Confidentiality.RESTRICTED
    staff = case_staff(case)
    form = CaseEditForm(
        posted(request),
        initial=_initial(case),
        staff=staff,
        restricted=restricted,
    )
    context: dict[str, Any] = {"case": case, "form": form}
    if request.method != "POST":
        return render(request, "intake/case_edit.html", context)
    if not form.is_valid():
        return render(request, "intake/case_edit.html", context, status=400)
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
        return _merge(request, pk, data, staff=staff, restricted=restricted)
    except ValidationError as error:
        apply_service_errors(form, error)
        return render(request, "intake/case_edit.html", context, status=400)
    messages.success(request, _("The case is saved."))
    return redirect("case_detail", pk=case.pk)


def _merge(
    request: HttpRequest, pk: int, yours: dict[str, Any], *, staff: Any, restricted: bool
) -> HttpResponse:
    """Someone saved first: both versions side by side, nothing saved until the user chooses."""
    current = selectors.case_page_get_for_user(user=request.user, pk=pk)
    theirs = _initial(current)
    latest = current.history.select_related("history_user").first()
    # Keep what was typed; the new version lets a second save apply it on purpose.
    merged = request.POST.copy()
    merged["version"] = str(current.version)
    form = CaseEditForm(merged, initial=theirs, staff=staff, restricted=restricted)
    form.is_valid()
    context = {
        "case": current,
        "form": form,
        "conflict": _comparison(form, theirs, yours),
        "their_user": latest.history_user if latest else None,
        "their_at": latest.history_date if latest else None,
    }
    return render(request, "intake/case_edit.html", context, status=409)


# --- desk specifics -------------------------------------------------------------------------------

_DETAIL_FORMS = {"subcontract": SubcontractDetailsForm, "ip": IpDetailsForm}
_DETAIL_SERVICES = {
    "subcontract": services.subcontract_details_update,
    "ip": services.ip_details_update,
}


@require_http_methods(["GET", "POST"])
@page_view
def case_desk_details(request: HttpRequest, pk: int) -> HttpResponse:
    """The dispute desk's or the IP desk's own fields of a case."""
    case = _visible_case(request, pk)
    shown = selectors.case_desk_details(case=case)
    if shown is None:
        raise Http404("this desk records no details of its own")
    policy.require_offered(request.user, case, "edit")
    form_class = _DETAIL_FORMS[shown.desk]
    initial = (
        {name: getattr(shown.details, name) for name in form_class.base_fields}
        if shown.details
        else {}
    )
    form = form_class(posted(request), initial=initial)
    return form_action(
        request,
        form=form,
        perform=lambda data: _DETAIL_SERVICES[shown.desk](
            case=case, by=request.user, expected_version=data.pop("version"), **data
        ),
        done=_("The details are saved."),
        success_url=reverse("case_detail", args=[case.pk]),
        render_form=lambda form, status: render(
            request,
            "intake/case_action.html",
            {"case": case, "form": form, "action": "details"},
            status=status,
        ),
        transition_field="adr_state",
    )
