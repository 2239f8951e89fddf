"""Pages: the coordinator's desk, the roster, an expert's calendar, dispatches, quotas."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from casebook.accounts.models import Desk
from casebook.common.calendar import is_business_day, japanese_holiday_name
from casebook.common.errors import ActionNotPermitted
from casebook.common.fiscal import current_fiscal_year, fiscal_year_label
from casebook.common.web import page_view
from casebook.experts import insights, policy, selectors
from casebook.experts.forms import (
    ApproveForm,
    CompleteForm,
    ConflictForm,
    DispatchRequestForm,
    FinalReportForm,
    ReasonForm,
    RosterFilterForm,
    VisitForm,
    VisitReportForm,
    specialty_choices,
)
from casebook.experts.models import DispatchProgram, DispatchStatus
from casebook.experts.services.dispatches import TRANSITIONS
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services


def _program_desks(user: Any) -> list[Desk]:
    desks = Desk.objects.filter(pk__in=DispatchProgram.objects.values("desk_id"))
    if policy.decides_for_every_program(user):
        return list(desks)
    return list(desks.filter(pk__in=policy.program_desk_ids(user)))


@page_view
def desk_page(request: HttpRequest) -> HttpResponse:
    """The coordinator's page (pending requests, late reports); an expert's own dispatches."""
    user = request.user
    own = policy.expert_of(user)
    if own is not None:
        today = timezone.localdate()
        dispatches = selectors.dispatch_list_for_user(user).exclude(
            status__in=(DispatchStatus.DRAFT, DispatchStatus.REJECTED)
        )
        unreported = selectors.visit_list_for_user(user).filter(
            report_filed_at__isnull=True, date__lte=today
        )
        return render(
            request,
            "experts/my_dispatches.html",
            {
                "expert": own,
                "dispatches": dispatches,
                "unreported": unreported,
                "upcoming": selectors.visits_of_expert(own, start=today)[:20],
            },
        )
    if not policy.can_see_roster(user):
        raise ActionNotPermitted(_("only staff and experts use expert dispatch"))
    boards = []
    for desk in _program_desks(user):
        boards.append(
            {
                "desk": desk,
                "late_visits": selectors.late_visit_reports_for_desk(user, desk),
                "late_finals": selectors.late_final_reports_for_desk(user, desk),
            }
        )
    under_way = selectors.dispatch_list_for_user(user).filter(
        status__in=(DispatchStatus.APPROVED, DispatchStatus.SCHEDULED)
    )
    return render(
        request,
        "experts/desk.html",
        {
            "pending": selectors.pending_requests_for_user(user),
            "boards": boards,
            "under_way": under_way[:50],
            "mine": selectors.dispatch_list_for_user(user).filter(requested_by=user)[:20],
        },
    )


@page_view
def roster(request: HttpRequest) -> HttpResponse:
    if not policy.can_see_roster(request.user):
        raise ActionNotPermitted(_("only staff see the expert roster"))
    form = RosterFilterForm(request.GET or None, specialties=specialty_choices())
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "text": data["q"],
            "qualification": data["qualification"],
            "specialty": data["specialty"],
            "area": data["area"],
            "active": None if data["include_inactive"] else True,
        }
    experts = selectors.expert_search(request.user, **filters)
    fiscal_year = current_fiscal_year()
    rows = [(e, selectors.expert_fy_days(e, fiscal_year)) for e in experts]
    return render(
        request,
        "experts/roster.html",
        {"form": form, "rows": rows, "fiscal_year": fiscal_year},
    )


def _month(request: HttpRequest) -> dt.date:
    text = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in text.split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        today = timezone.localdate()
        return today.replace(day=1)


@page_view
def expert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    expert = selectors.expert_get_for_user(request.user, pk)
    first = _month(request)
    weeks = calendar.Calendar(firstweekday=6).monthdatescalendar(first.year, first.month)
    start, end = weeks[0][0], weeks[-1][-1]
    visits: dict[dt.date, list] = {}
    visible = set(selectors.dispatch_list_for_user(request.user).values_list("pk", flat=True))
    for visit in selectors.visits_of_expert(expert, start=start, end=end):
        visit.visible = visit.dispatch_id in visible
        visits.setdefault(visit.date, []).append(visit)
    grid = [
        [
            {
                "day": day,
                "in_month": day.month == first.month,
                "holiday": japanese_holiday_name(day),
                "closed": not is_business_day(day),
                "visits": visits.get(day, []),
            }
            for day in week
        ]
        for week in weeks
    ]
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    fiscal_year = current_fiscal_year()
    may_manage = policy.can_declare_conflicts(request.user, expert)
    own = policy.expert_of(request.user)
    show_feed = (own is not None and own.pk == expert.pk) or policy.can_manage_roster(request.user)
    return render(
        request,
        "experts/expert_detail.html",
        {
            "expert": expert,
            "grid": grid,
            "month": first,
            "previous": previous,
            "following": following,
            "fy": selectors.expert_fy_days(expert, fiscal_year),
            "fy_label": fiscal_year_label(fiscal_year),
            "conflicts": selectors.conflicts_of(expert),
            "conflict_form": ConflictForm() if may_manage else None,
            "feed_url": (
                request.build_absolute_uri(f"/dispatch/ical/{expert.calendar_token}.ics")
                if show_feed
                else ""
            ),
        },
    )


@page_view
def dispatch_list(request: HttpRequest) -> HttpResponse:
    dispatches = selectors.dispatch_list_for_user(request.user)
    status = request.GET.get("status", "")
    if status in DispatchStatus.values:
        dispatches = dispatches.filter(status=status)
    program = request.GET.get("program", "")
    if program.isdigit():
        dispatches = dispatches.filter(program_id=int(program))
    return render(
        request,
        "experts/dispatch_list.html",
        {
            "dispatches": dispatches[:200],
            "statuses": DispatchStatus.choices,
            "status": status,
            "programs": selectors.program_list_for_user(request.user),
            "program": program,
        },
    )


def request_form_context(
    request: HttpRequest, case: Any, form: DispatchRequestForm | None = None
) -> dict[str, Any]:
    programs = selectors.programs_open_for_request(request.user)
    program = None
    chosen = (form.data.get("program") if form is not None else "") or request.GET.get("program")
    if chosen and str(chosen).isdigit():
        program = programs.filter(pk=int(chosen)).first()
    if program is None and not (form is not None and form.data.get("program")):
        # IP cases default to the IP program, the others to the first open one.
        own_desk = programs.filter(desk_id=case.desk_id).first()
        program = own_desk or programs.exclude(desk__code="ip").first() or programs.first()
    experts = selectors.expert_list_for_user(request.user).filter(active=True)
    if form is None:
        initial = {"program": program.pk} if program else {}
        expert = request.GET.get("expert")
        if expert and expert.isdigit():
            initial["expert"] = int(expert)
        form = DispatchRequestForm(initial=initial, programs=programs, experts=experts)
    return {
        "case": case,
        "form": form,
        "programs": programs,
        "program": program,
        "suggestions": insights.suggest_experts(case, program=program) if case.client else [],
    }


@page_view
def dispatch_new(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.case_get_for_user(user=request.user, pk=case_id)
    case_services.access_log_record(user=request.user, cases=[case], via="dispatch:web")
    return render(request, "experts/dispatch_new.html", request_form_context(request, case))


def detail_context(request: HttpRequest, dispatch: Any, **forms: Any) -> dict[str, Any]:
    allowed = policy.allowed_actions(request.user, dispatch)
    status = dispatch.status

    def offered(action: str, transition: str | None = None) -> bool:
        return action in allowed and status in TRANSITIONS[transition or action]

    is_staff = policy.expert_of(request.user) is None
    history = list(dispatch.history.select_related("history_user")[:30]) if is_staff else []
    return {
        "dispatch": dispatch,
        "visits": dispatch.visits.all(),
        "copay_label": insights.rules.copay_rule_label(dispatch.program, dispatch.sub_quota),
        "conflicts": (
            insights.rules.conflicts_for(
                dispatch.expert, dispatch.case, dispatch.competitors, exclude_dispatch=dispatch.pk
            )
            if is_staff and status in TRANSITIONS["override_conflict"]
            else []
        ),
        "can": {
            "submit": offered("edit", "submit"),
            "approve": offered("approve"),
            "reject": offered("reject"),
            "cancel": offered("cancel"),
            "complete": offered("complete"),
            "settle": offered("settle"),
            "override": offered("override_conflict"),
            "schedule": offered("schedule"),
            "final_report": offered("report", "final_report"),
            "report": "report" in allowed,
        },
        "approve_form": forms.get("approve_form") or ApproveForm(prefix="approve"),
        "reject_form": forms.get("reject_form") or ReasonForm(prefix="reject"),
        "cancel_form": forms.get("cancel_form") or ReasonForm(prefix="cancel"),
        "override_form": forms.get("override_form") or ReasonForm(prefix="override"),
        "complete_form": forms.get("complete_form") or CompleteForm(prefix="complete"),
        "final_form": forms.get("final_form") or FinalReportForm(prefix="final"),
        "visit_form": forms.get("visit_form") or VisitForm(prefix="visit"),
        "history": history,
        "is_staff": is_staff,
    }


@page_view
def dispatch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = selectors.dispatch_get_for_user(request.user, pk)
    return render(request, "experts/dispatch_detail.html", detail_context(request, dispatch))


@page_view
def visit_report(request: HttpRequest, pk: int) -> HttpResponse:
    from casebook.experts.views.actions import file_visit_report

    visit = selectors.visit_get_for_user(request.user, pk)
    if request.method == "POST":
        return file_visit_report(request, visit)
    form = VisitReportForm(
        initial={
            "report": visit.report,
            "advice": visit.advice,
            "hours": visit.hours or "",
            "client_confirmed_by": visit.client_confirmed_by,
        }
    )
    policy.require(request.user, policy.DispatchAction.REPORT, visit.dispatch)
    return render(request, "experts/visit_report.html", {"visit": visit, "form": form})


@page_view
def quota(request: HttpRequest) -> HttpResponse:
    if not policy.can_see_quota(request.user):
        raise ActionNotPermitted(_("only staff see the quota dashboard"))
    text = request.GET.get("fy", "")
    fiscal_year = int(text) if text.isdigit() else current_fiscal_year()
    lines = insights.quota_dashboard(request.user, fiscal_year)
    for line in lines:
        # Built from numbers and one escaped title (see burn_down_svg).
        line.svg = mark_safe(insights.burn_down_svg(line, fiscal_year))
    years = sorted(set(DispatchProgram.objects.values_list("fiscal_year", flat=True)), reverse=True)
    today = timezone.localdate()
    return render(
        request,
        "experts/quota.html",
        {
            "lines": lines,
            "fiscal_year": fiscal_year,
            "fy_label": fiscal_year_label(fiscal_year),
            "years": years,
            "this_month": today.strftime("%Y-%m"),
        },
    )
