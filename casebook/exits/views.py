"""The exit track's screens: putting a case on the track, the plan with its milestones,
taking the case off, the team's dashboard. Every object through a getter (404), every offer
from `exits.policy`, every write through `common.web.form_action` and one service.
Each page that shows a restricted case writes the access log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from casebook.common.exports import Column, columns_csv_response
from casebook.common.paging import page_number, query_without
from casebook.common.web import form_action, new_form_token, page_view, posted
from casebook.exits import policy, selectors, services
from casebook.exits.forms import (
    AccessLogFilterForm,
    CompleteForm,
    ExportFilterForm,
    MilestoneForm,
    PlanForm,
    PutOnTrackForm,
    ReopenForm,
    TakeOffTrackForm,
    access_via_label,
)
from casebook.exits.models import (
    CLOSURE_DATES,
    ExitOutcome,
    ExitPath,
    ExitPlan,
    ExitStage,
    Milestone,
    RiskFlag,
)
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services


def _log(request: HttpRequest, cases: list[Any], *, once_a_day: bool = False) -> None:
    case_services.access_log_record(
        user=request.user, cases=cases, via="exit_track", once_a_day=once_a_day
    )


# --- on and off the track --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page_view
def put_on_track(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = case_selectors.case_get_for_user(user=user, pk=pk)
    _log(request, [case])
    policy.require(user, policy.PUT_ON, case)
    form = PutOnTrackForm(
        posted(request), initial={"version": case.version, "form_token": new_form_token()}
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
        posted(request), initial={"version": plan.version, "form_token": new_form_token()}
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
    form = _plan_form(plan, posted(request))

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
    form = make_form(milestone, posted(request))

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


def _dashboard_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    board = selectors.dashboard_for_user(user=user)
    page = selectors.plan_page(user=user, number=page_number(request.GET))
    shown = [m.plan.case for m in (*board.due_this_week, *board.overdue)]
    shown += [plan.case for plan in (*board.breaches, *page)]
    _log(request, shown, once_a_day=True)
    return {
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


@require_GET
@page_view
def dashboard(request: HttpRequest) -> HttpResponse:
    """Plans by path and stage, milestones due this week and overdue, plans breaking a legal
    deadline, outcomes by fiscal year; the plans themselves, paged. Live: the page listens on
    `ws/exits/` and re-reads its body (`dashboard_live`) when a plan the user sees changes."""
    return render(request, "exits/dashboard.html", _dashboard_context(request))


@require_GET
@page_view
def dashboard_live(request: HttpRequest) -> HttpResponse:
    """Only the dashboard's body, for the live refresh (`#exit-dashboard` is re-filled)."""
    return render(request, "exits/dashboard.html#body", _dashboard_context(request))


# --- the export -------------------------------------------------------------------------------


def _yes(value: bool) -> str:
    return _("yes") if value else ""


def _plan_cell(name: str) -> Callable[[tuple[ExitPlan, Milestone | None]], Any]:
    return lambda row: getattr(row[0], name)


def _milestone_cell(name: str) -> Callable[[tuple[ExitPlan, Milestone | None]], Any]:
    return lambda row: getattr(row[1], name) if row[1] is not None else ""


RISK_LABELS = dict(RiskFlag.choices)
EXPORT_COLUMNS: tuple[Column, ...] = (
    (gettext_lazy("case number"), lambda row: row[0].case.number),
    (gettext_lazy("client"), lambda row: row[0].case.client.name if row[0].case.client else ""),
    (gettext_lazy("path"), lambda row: row[0].get_path_display()),
    (gettext_lazy("stage"), lambda row: row[0].get_stage_display()),
    (gettext_lazy("on the track"), lambda row: _yes(row[0].on_track)),
    (gettext_lazy("plan owner"), lambda row: str(row[0].owner or "")),
    (
        gettext_lazy("risk flags"),
        lambda row: "、".join(str(RISK_LABELS.get(f, f)) for f in row[0].risk_flags),
    ),
    (gettext_lazy("started"), _plan_cell("started_on")),
    (gettext_lazy("outcome"), lambda row: row[0].get_outcome_display()),
    (gettext_lazy("outcome date"), _plan_cell("outcome_on")),
    (gettext_lazy("re-challenge follow-up"), _plan_cell("rechallenge_on")),
    (gettext_lazy("milestone"), _milestone_cell("name")),
    (gettext_lazy("milestone owner"), lambda row: str(row[1].owner or "") if row[1] else ""),
    (gettext_lazy("due on"), _milestone_cell("due_on")),
    (gettext_lazy("legal deadline"), _milestone_cell("legal_deadline")),
    (gettext_lazy("completed on"), _milestone_cell("completed_on")),
    (gettext_lazy("overdue"), lambda row: _yes(row[1] is not None and row[1].overdue)),
    (
        gettext_lazy("breaks the legal deadline"),
        lambda row: _yes(row[1] is not None and row[1].breaks_deadline),
    ),
)


def _export_rows(plans: Any) -> Iterator[tuple[ExitPlan, Milestone | None]]:
    for plan in plans.iterator(chunk_size=selectors.EXPORT_CHUNK):
        milestones = list(plan.milestones.all())
        if not milestones:
            yield plan, None
        for milestone in milestones:
            yield plan, milestone


@require_GET
@page_view
def export_csv(request: HttpRequest) -> HttpResponse:
    """The plans and their milestones as CSV, one row per milestone (docs/exits.md, "Export"):
    streamed, every cell neutralised, each restricted case's read in the access log."""
    form = ExportFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        lines = [f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()]
        return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
    filters = form.cleaned_data if request.GET else {}
    plans = selectors.export_plans(
        user=request.user,
        path=filters.get("path") or "",
        stage=filters.get("stage") or "",
        on_track=filters.get("on_track"),
    )
    case_services.access_log_record(
        user=request.user, cases=selectors.export_cases(plans=plans), via="export"
    )
    filename = f"exit-plans-{timezone.localdate():%Y%m%d}.csv"
    return columns_csv_response(filename, EXPORT_COLUMNS, _export_rows(plans))


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
    context = {
        "form": form,
        "page": page,
        "named": policy.names_restricted_cases(user),
        "via_labels": {row.via: access_via_label(row.via) for row in page},
        "query": query_without(request.GET),
    }
    return render(request, "exits/access_log.html", context)
