"""Pages: the dispatch desk, the roster, an expert's calendar, dispatches, quotas.

Each page reads through the selectors, asks the experts policy what it offers
(`policy.offered_actions`, once per request) and records the reads of restricted cases
(`record_reads`); the templates test the names it offers and hold no rule of their own.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe

from casebook.common.calendar import is_business_day, japanese_holiday_name
from casebook.common.extensions import registry
from casebook.common.fiscal import current_fiscal_year, fiscal_year_label
from casebook.common.paging import page_number, page_of, query_without
from casebook.common.web import page_view
from casebook.experts import policy, rules, selectors
from casebook.experts.forms import (
    STEP_FORMS,
    ConflictForm,
    DispatchRequestForm,
    RosterFilterForm,
    VisitForm,
    specialty_choices,
)
from casebook.experts.models import Dispatch, DispatchStatus, Expert
from casebook.experts.views.charts import burn_down_svg
from casebook.intake import services as case_services
from casebook.intake.models import Case

# The desk page's short lists (the whole lists are the dispatch list's pages).
DESK_ROWS = 20


def record_reads(
    request: HttpRequest, dispatches: Iterable[Dispatch], *, via: str = "web", list_: bool = False
) -> None:
    """The restricted cases a page shows through its dispatches go to the access log (a list:
    once per user, case and day)."""
    case_services.access_log_record(
        user=request.user,
        cases=[dispatch.case for dispatch in dispatches],
        via=f"dispatch:{via}",
        once_a_day=list_,
    )


@page_view
def desk_page(request: HttpRequest) -> HttpResponse:
    """The coordinator's page (pending requests, late reports); an expert's own dispatches."""
    user = request.user
    policy.require_dispatch_screens(user)
    own = policy.expert_of(user)
    dispatches = selectors.dispatch_list_for_user(user=user)
    if own is not None:
        today = timezone.localdate()
        shown = dispatches.exclude(status__in=(DispatchStatus.DRAFT, DispatchStatus.REJECTED))
        context = {
            "expert": own,
            "dispatches": page_of(shown, number=page_number(request.GET)),
            "unreported": selectors.visit_list_for_user(user=user)
            .filter(report_filed_at__isnull=True, date__lte=today)
            .order_by("date", "pk")[:DESK_ROWS],
            "upcoming": selectors.visits_of_expert(expert=own, start=today)[:DESK_ROWS],
        }
        record_reads(request, context["dispatches"], list_=True)
        return render(request, "experts/my_dispatches.html", context)
    boards = [
        {
            "desk": desk,
            "late_visits": selectors.late_visit_reports_for_desk(user=user, desk=desk),
            "late_finals": selectors.late_final_reports_for_desk(user=user, desk=desk),
        }
        for desk in selectors.program_desks_for_user(user=user)
    ]
    context = {
        "pending": page_of(
            selectors.pending_requests_for_user(user=user), number=page_number(request.GET)
        ),
        "boards": boards,
        "under_way": list(dispatches.filter(status__in=rules.UNDER_WAY)[:DESK_ROWS]),
        "mine": list(dispatches.filter(requested_by=user)[:DESK_ROWS]),
    }
    record_reads(
        request, [*context["pending"], *context["under_way"], *context["mine"]], list_=True
    )
    return render(request, "experts/desk.html", context)


@page_view
def roster(request: HttpRequest) -> HttpResponse:
    policy.require_roster(request.user)
    specialties = specialty_choices()
    form = RosterFilterForm(request.GET or None, specialties=specialties)
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
    fiscal_year = current_fiscal_year()
    experts = selectors.with_days_taken(
        selectors.expert_search(user=request.user, **filters).order_by("name_search", "pk"),
        fiscal_year=fiscal_year,
    )
    return render(
        request,
        "experts/roster.html",
        {
            "form": form,
            "specialties": dict(specialties),
            "experts": page_of(experts, number=page_number(request.GET)),
            "query": query_without(request.GET),
            "fiscal_year": fiscal_year,
        },
    )


def _month(request: HttpRequest) -> dt.date:
    text = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in text.split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        today = timezone.localdate()
        return today.replace(day=1)


def expert_context(request: HttpRequest, expert: Expert, **forms: Any) -> dict[str, Any]:
    """An expert's page: the month's calendar (a visit of a dispatch the reader may not see
    shows as booked), the year's days, the declared conflicts."""
    user = request.user
    first = _month(request)
    weeks = calendar.Calendar(firstweekday=6).monthdatescalendar(first.year, first.month)
    booked = list(selectors.visits_of_expert(expert=expert, start=weeks[0][0], end=weeks[-1][-1]))
    visible = set(
        selectors.dispatch_list_for_user(user=user)
        .filter(pk__in={visit.dispatch_id for visit in booked})
        .values_list("pk", flat=True)
    )
    visits: dict[dt.date, list] = {}
    for visit in booked:
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
    fiscal_year = current_fiscal_year()
    may_declare = policy.can_declare_conflicts(user, expert)
    return {
        "expert": expert,
        "grid": grid,
        "month": first,
        "previous": (first - dt.timedelta(days=1)).replace(day=1),
        "following": (first + dt.timedelta(days=32)).replace(day=1),
        "fy": selectors.expert_fy_days(expert=expert, fiscal_year=fiscal_year),
        "fy_label": fiscal_year_label(fiscal_year),
        "conflicts": selectors.conflicts_of(expert=expert),
        "specialties": dict(specialty_choices()),
        "conflict_form": (forms.get("conflict_form") or ConflictForm()) if may_declare else None,
        "feed_url": (
            request.build_absolute_uri(f"/dispatch/ical/{expert.calendar_token}.ics")
            if policy.can_see_calendar_feed(user, expert)
            else ""
        ),
    }


@page_view
def expert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    expert = selectors.expert_get_for_user(user=request.user, pk=pk)
    return render(request, "experts/expert_detail.html", expert_context(request, expert))


@page_view
def dispatch_list(request: HttpRequest) -> HttpResponse:
    dispatches = selectors.dispatch_list_for_user(user=request.user)
    status = request.GET.get("status", "")
    if status in DispatchStatus.values:
        dispatches = dispatches.filter(status=status)
    program = request.GET.get("program", "")
    if program.isdigit():
        dispatches = dispatches.filter(program_id=int(program))
    page = page_of(dispatches, number=page_number(request.GET))
    record_reads(request, page, list_=True)
    return render(
        request,
        "experts/dispatch_list.html",
        {
            "dispatches": page,
            "query": query_without(request.GET),
            "statuses": DispatchStatus.choices,
            "status": status,
            "programs": selectors.program_list_for_user(user=request.user),
            "program": program,
        },
    )


def request_form_context(
    request: HttpRequest, case: Case, form: DispatchRequestForm | None = None
) -> dict[str, Any]:
    """The request form of `case`: the open programs (the one asked for, else the case's
    desk's, else the first), the experts ranked for the case and the program."""
    user = request.user
    programs = selectors.programs_open_for_request(user=user)
    program = None
    chosen = (form.data.get("program") if form is not None else "") or request.GET.get("program")
    if chosen and str(chosen).isdigit():
        program = next((p for p in programs if p.pk == int(chosen)), None)
    if program is None and not (form is not None and form.data.get("program")):
        # IP cases default to the IP program, the others to the first open one.
        listed = list(programs)
        own_desk = next((p for p in listed if p.desk_id == case.desk_id), None)
        others = [p for p in listed if p.desk.code != "ip"]
        program = own_desk or (others or listed or [None])[0]
    experts = selectors.expert_list_for_user(user=user).filter(active=True)
    if form is None:
        initial = {"program": program.pk} if program else {}
        expert = request.GET.get("expert")
        if expert and expert.isdigit():
            initial["expert"] = int(expert)
        form = DispatchRequestForm(initial=initial, programs=programs, experts=experts)
    suggestions = selectors.suggest_experts(case=case, program=program) if case.client else []
    return {
        "case": case,
        "form": form,
        "programs": programs,
        "program": program,
        "suggestions": suggestions,
    }


def detail_context(request: HttpRequest, dispatch: Dispatch, **forms: Any) -> dict[str, Any]:
    """The dispatch page: what it offers (`actions`, computed once), the visits with what
    each row offers, and a form per step (the one posted keeps what was typed)."""
    actions = policy.offered_actions(request.user, dispatch)
    visits = list(dispatch.visits.all())
    for visit in visits:
        visit.actions = policy.visit_actions(actions, visit)
    # What other apps show of each visit (its files), read once for all the rows.
    visit_columns = registry.cells_for_rows("visit", request.user, visits)
    step_forms = {
        f"{name}_form": forms.get(f"{name}_form")
        or form_class(prefix=name, initial={"version": dispatch.version})
        for name, form_class in STEP_FORMS.items()
    }
    return {
        "dispatch": dispatch,
        "actions": actions,
        "visits": visits,
        "visit_columns": visit_columns,
        "copay_label": rules.copay_rule_label(dispatch.program, dispatch.sub_quota),
        "conflicts": (
            rules.conflicts_for(
                dispatch.expert, dispatch.case, dispatch.competitors, exclude_dispatch=dispatch.pk
            )
            if "override_conflict" in actions
            else []
        ),
        **step_forms,
        "visit_form": forms.get("visit_form") or VisitForm(prefix="visit"),
        "unschedule_form": forms.get("unschedule_form"),
        "history": (
            list(dispatch.history.select_related("history_user")[:30])
            if "read_history" in actions
            else []
        ),
    }


@page_view
def dispatch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = selectors.dispatch_get_for_user(user=request.user, pk=pk)
    record_reads(request, [dispatch])
    return render(request, "experts/dispatch_detail.html", detail_context(request, dispatch))


@page_view
def quota(request: HttpRequest) -> HttpResponse:
    policy.require_quota(request.user)
    text = request.GET.get("fy", "")
    fiscal_year = int(text) if text.isdigit() else current_fiscal_year()
    lines = selectors.quota_dashboard(user=request.user, fiscal_year=fiscal_year)
    for line in lines:
        # Built from numbers and one escaped title (see burn_down_svg).
        line.svg = mark_safe(burn_down_svg(line, fiscal_year))
    return render(
        request,
        "experts/quota.html",
        {
            "lines": lines,
            "fiscal_year": fiscal_year,
            "fy_label": fiscal_year_label(fiscal_year),
            "years": selectors.program_years(),
            "this_month": timezone.localdate().strftime("%Y-%m"),
        },
    )
