"""The exit track's screens: putting a case on the track, the plan with its milestones,
taking the case off, the team's dashboard. Every object through a getter (404), every offer
from `exits.policy`, every write through `common.web.form_action` and one service.
Each page that shows a restricted case writes the access log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from casebook.common.paging import page_number
from casebook.common.web import form_action, new_form_token, page_view
from casebook.exits import policy, selectors, services
from casebook.exits.forms import (
    ACCESS_VIA,
    AccessLogFilterForm,
    CompleteForm,
    MilestoneForm,
    PlanForm,
    PutOnTrackForm,
    ReopenForm,
    TakeOffTrackForm,
)
from casebook.exits.models import (
    CLOSURE_DATES,
    ExitOutcome,
    ExitPath,
    ExitPlan,
    ExitStage,
    Milestone,
)
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services


def _log(request: HttpRequest, cases: list[Any], *, once_a_day: bool = False) -> None:
    case_services.access_log_record(
        user=request.user, cases=cases, via="exit_track", once_a_day=once_a_day
    )


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


# --- on and off the track --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page_view
def put_on_track(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = case_selectors.case_get_for_user(user=user, pk=pk)
    _log(request, [case])
    policy.require(user, policy.PUT_ON, case)
    form = PutOnTrackForm(
        _data(request), initial={"version": case.version, "form_token": new_form_token()}
    )

    def render_form(form: forms.Form, status: int) -> HttpResponse:
        return render(request, "exits/put_on.html", {"case": case, "form": form}, status=status)

    return form_action(
        request,
        form=form,
        perform=lambda data: services.exit_track_put_on(
            case=case,
            by=user,
            path=data["path"],
            reason=data["reason"],
            expected_version=data["version"],
        ),
        done=_(
            "The case is on the exit track: only the exit team, its counselors and managers "
            "see it now."
        ),
        success_url=lambda plan: reverse("exits:plan", args=[plan.pk]),
        render_form=render_form,
        rename={"case": "__all__"},
        once=True,
    )


def _visible_plan(request: HttpRequest, pk: int) -> ExitPlan:
    plan = selectors.plan_get_for_user(user=request.user, pk=pk)
    _log(request, [plan.case])
    return plan


@require_http_methods(["GET", "POST"])
@page_view
def take_off_track(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    plan = _visible_plan(request, pk)
    policy.require(user, policy.TAKE_OFF, plan.case)
    form = TakeOffTrackForm(
        _data(request), initial={"version": plan.version, "form_token": new_form_token()}
    )

    def render_form(form: forms.Form, status: int) -> HttpResponse:
        context = {"plan": plan, "case": plan.case, "form": form}
        return render(request, "exits/take_off.html", context, status=status)

    return form_action(
        request,
        form=form,
        perform=lambda data: services.exit_track_take_off(
            plan=plan, by=user, reason=data["reason"], expected_version=data["version"]
        ),
        done=_("The case is off the exit track."),
        success_url=lambda plan: reverse("case_detail", args=[plan.case_id]),
        render_form=render_form,
        once=True,
    )


# --- the plan -------------------------------------------------------------------------------


def _plan_form(plan: ExitPlan, data: Any = None) -> PlanForm:
    initial = {
        "stage": plan.stage,
        "risk_flags": plan.risk_flags,
        "owner": plan.owner_id,
        "outcome": plan.outcome,
        "rechallenge_on": plan.rechallenge_on,
        **{name: getattr(plan, name) for name in CLOSURE_DATES},
        "version": plan.version,
    }
    return PlanForm(data, initial=initial, staff=selectors.plan_owner_choices(plan=plan))


def _plan_page(
    request: HttpRequest, plan: ExitPlan, *, status: int = 200, form: forms.Form | None = None
) -> HttpResponse:
    offered = policy.offered_actions(request.user, plan)
    context = {
        "plan": plan,
        "case": plan.case,
        "milestones": list(plan.milestones.all()),
        "actions": offered,
        "form": form if form is not None else (_plan_form(plan) if "edit" in offered else None),
        "decisions": selectors.decisions_for_case(user=request.user, case=plan.case),
        "breaches": plan.deadline_breaches,
    }
    return render(request, "exits/plan.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page_view
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan, its milestones with their legal deadlines, and its form (POST saves it)."""
    user = request.user
    plan = _visible_plan(request, pk)
    if request.method == "POST":
        policy.require(user, policy.EDIT, plan.case)
    form = _plan_form(plan, _data(request))

    def perform(data: dict[str, Any]) -> ExitPlan:
        fields = dict(data)
        version = fields.pop("version")
        fields.pop("form_token", None)
        return services.exit_plan_update(plan=plan, by=user, expected_version=version, **fields)

    return form_action(
        request,
        form=form,
        perform=perform,
        done=_("The exit plan is saved."),
        success_url=reverse("exits:plan", args=[plan.pk]),
        render_form=lambda form, status: _plan_page(request, plan, status=status, form=form),
    )


# --- milestones ------------------------------------------------------------------------------

MILESTONE_FORMS: dict[str, tuple[Callable[..., forms.Form], Callable[..., Milestone], Any]] = {
    "edit": (
        lambda milestone, data: MilestoneForm(
            data,
            initial={
                "owner": milestone.owner_id,
                "due_on": milestone.due_on,
                "note": milestone.note,
                "version": milestone.version,
            },
            staff=selectors.milestone_owner_choices(milestone=milestone),
        ),
        services.milestone_update,
        gettext_lazy("The milestone is saved."),
    ),
    "complete": (
        lambda milestone, data: CompleteForm(data, initial={"version": milestone.version}),
        services.milestone_complete,
        gettext_lazy("The milestone is done."),
    ),
    "reopen": (
        lambda milestone, data: ReopenForm(data, initial={"version": milestone.version}),
        services.milestone_reopen,
        gettext_lazy("The milestone is open again."),
    ),
}


@require_http_methods(["GET", "POST"])
@page_view
def milestone_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    user = request.user
    milestone = selectors.milestone_get_for_user(user=user, pk=pk)
    _log(request, [milestone.plan.case])
    policy.require(user, name, milestone.plan.case)
    make_form, service, done = MILESTONE_FORMS[name]
    form = make_form(milestone, _data(request))

    def perform(data: dict[str, Any]) -> Milestone:
        fields = dict(data)
        version = fields.pop("version")
        return service(milestone=milestone, by=user, expected_version=version, **fields)

    def render_form(form: forms.Form, status: int) -> HttpResponse:
        context = {"milestone": milestone, "plan": milestone.plan, "form": form, "action": name}
        return render(request, "exits/milestone.html", context, status=status)

    return form_action(
        request,
        form=form,
        perform=perform,
        done=str(done),
        success_url=reverse("exits:plan", args=[milestone.plan_id]),
        render_form=render_form,
    )


# --- the team's dashboard --------------------------------------------------------------------


@require_GET
@page_view
def dashboard(request: HttpRequest) -> HttpResponse:
    """Plans by path and stage, milestones due this week and overdue, plans breaking a legal
    deadline, outcomes by fiscal year; the plans themselves, paged."""
    user = request.user
    board = selectors.dashboard_for_user(user=user)
    page = selectors.plan_page(user=user, number=page_number(request.GET))
    shown = [m.plan.case for m in (*board.due_this_week, *board.overdue)]
    shown += [plan.case for plan in (*board.breaches, *page)]
    _log(request, shown, once_a_day=True)
    context = {
        "board": board,
        "page": page,
        "paths": ExitPath.choices,
        "stages": ExitStage.choices,
        "outcome_labels": dict(ExitOutcome.choices),
        "grid": [
            (
                label,
                [
                    board.by_path_and_stage.get(path, {}).get(stage, 0)
                    for stage, _l in ExitStage.choices
                ],
            )
            for path, label in ExitPath.choices
        ],
    }
    return render(request, "exits/dashboard.html", context)


# --- the access log ---------------------------------------------------------------------------


@require_GET
@page_view
def access_log(request: HttpRequest) -> HttpResponse:
    """Who read which restricted case, when and through what; filterable, paged."""
    user = request.user
    form = AccessLogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = selectors.access_log_page(
        user=user,
        number=page_number(request.GET),
        username=filters.get("user") or "",
        case_number=filters.get("case") or "",
        via=filters.get("via") or "",
        since=filters.get("since"),
        until=filters.get("until"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "named": policy.names_restricted_cases(user),
        "via_labels": dict(ACCESS_VIA),
        "query": f"{query.urlencode()}&" if query else "",
    }
    return render(request, "exits/access_log.html", context)
