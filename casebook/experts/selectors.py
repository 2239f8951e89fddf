"""Reads of experts, programs, dispatches and visits, filtered by the visibility policy."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.common.calendar import add_business_days
from casebook.common.japanese import normalize_text, search_key
from casebook.experts import policy, rules
from casebook.experts.models import (
    Dispatch,
    DispatchProgram,
    DispatchStatus,
    DispatchVisit,
    Expert,
)
from casebook.intake.models import AccessLog

if TYPE_CHECKING:
    from casebook.accounts.models import Desk, User
    from casebook.intake.models import Case

VISIT_REPORT_BUSINESS_DAYS = 5
FINAL_REPORT_DAYS = 7


# Experts ----------------------------------------------------------------------------------


def expert_list_for_user(user: User) -> QuerySet[Expert]:
    own = policy.expert_of(user)
    if own is not None:
        return Expert.objects.filter(pk=own.pk)
    if not policy.can_see_roster(user):
        return Expert.objects.none()
    return Expert.objects.all()


def expert_get_for_user(user: User, pk: int) -> Expert:
    try:
        return expert_list_for_user(user).get(pk=pk)
    except (Expert.DoesNotExist, ValueError, TypeError):
        raise Http404("no such expert") from None


def expert_search(
    user: User,
    *,
    text: str = "",
    qualification: str = "",
    specialty: str = "",
    area: str = "",
    active: bool | None = True,
) -> QuerySet[Expert]:
    """The roster filtered; JSON lists are matched in Python-free ways on both databases."""
    queryset = expert_list_for_user(user)
    key = search_key(text)
    if key:
        queryset = queryset.filter(Q(name_search__contains=key) | Q(affiliation__icontains=text))
    if active is not None:
        queryset = queryset.filter(active=active)
    ids = None
    if qualification or specialty or area:
        area_text = normalize_text(area)
        ids = [
            e.pk
            for e in queryset.only("pk", "qualifications", "specialties", "service_areas")
            if (not qualification or qualification in (e.qualifications or []))
            and (not specialty or specialty in (e.specialties or []))
            and (not area_text or any(area_text in a for a in e.service_areas or []))
        ]
        queryset = queryset.filter(pk__in=ids)
    return queryset


def conflicts_of(expert: Expert) -> QuerySet:
    return expert.conflicts.all()


def expert_fy_days(expert: Expert, fiscal_year: int) -> dict[str, object]:
    taken = rules.expert_days_taken(expert, fiscal_year)
    return {
        "fiscal_year": fiscal_year,
        "max": expert.max_days_per_fy,
        "taken": taken,
        "remaining": expert.max_days_per_fy - taken,
    }


def expert_by_calendar_token(token: str) -> Expert:
    expert = Expert.objects.filter(calendar_token=token, active=True).first() if token else None
    if expert is None:
        raise Http404("no such calendar")
    return expert


def visits_of_expert(
    expert: Expert, *, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[DispatchVisit]:
    queryset = DispatchVisit.objects.filter(
        expert=expert, dispatch__status__in=rules.BOOKING
    ).select_related("dispatch", "dispatch__case", "dispatch__case__client", "dispatch__program")
    if start is not None:
        queryset = queryset.filter(date__gte=start)
    if end is not None:
        queryset = queryset.filter(date__lte=end)
    return queryset


# Programs ---------------------------------------------------------------------------------


def program_list_for_user(user: User, *, fiscal_year: int | None = None) -> QuerySet:
    if not (policy.can_see_roster(user) or policy.is_expert_login(user)):
        return DispatchProgram.objects.none()
    queryset = DispatchProgram.objects.select_related("desk").prefetch_related("sub_quotas")
    if fiscal_year is not None:
        queryset = queryset.filter(fiscal_year=fiscal_year)
    return queryset


def program_get_for_user(user: User, pk: int) -> DispatchProgram:
    try:
        return program_list_for_user(user).get(pk=pk)
    except (DispatchProgram.DoesNotExist, ValueError, TypeError):
        raise Http404("no such program") from None


def programs_open_for_request(user: User) -> QuerySet[DispatchProgram]:
    from casebook.common.fiscal import current_fiscal_year

    return program_list_for_user(user, fiscal_year=current_fiscal_year()).filter(active=True)


# Dispatches -------------------------------------------------------------------------------


def dispatch_list_for_user(user: User) -> QuerySet[Dispatch]:
    return policy.dispatches_visible_to(user).select_related(
        "case", "case__client", "case__desk", "program", "program__desk", "sub_quota", "expert"
    )


def dispatch_get_for_user(user: User, pk: int, *, via: str = "web") -> Dispatch:
    """The dispatch if `user` may see it, else 404. Restricted reads go to the access log."""
    try:
        dispatch = dispatch_list_for_user(user).get(pk=pk)
    except (Dispatch.DoesNotExist, ValueError, TypeError):
        raise Http404("no such dispatch") from None
    if dispatch.case.confidentiality == "restricted":
        AccessLog.objects.create(user=user, case=dispatch.case, via=f"dispatch:{via}")
    return dispatch


def dispatches_of_case_for_user(user: User, case: Case) -> QuerySet[Dispatch]:
    return dispatch_list_for_user(user).filter(case=case)


def visit_list_for_user(user: User) -> QuerySet[DispatchVisit]:
    return DispatchVisit.objects.filter(
        dispatch__in=policy.dispatches_visible_to(user).values("pk")
    ).select_related("dispatch", "dispatch__case", "dispatch__case__client", "expert")


def visit_get_for_user(user: User, pk: int) -> DispatchVisit:
    try:
        return visit_list_for_user(user).get(pk=pk)
    except (DispatchVisit.DoesNotExist, ValueError, TypeError):
        raise Http404("no such visit") from None


def pending_requests_for_user(user: User) -> QuerySet[Dispatch]:
    """Requests waiting for a decision the user may take (program desk coordinator, manager)."""
    queryset = dispatch_list_for_user(user).filter(status=DispatchStatus.REQUESTED)
    if policy.decides_for_every_program(user):
        return queryset
    return queryset.filter(program__desk_id__in=policy.program_desk_ids(user))


def open_dispatch_blocker(case: Case) -> str | None:
    """Registered as a close blocker: a case with an open dispatch cannot close."""
    open_ids = list(
        Dispatch.objects.filter(case_id=case.pk, status__in=rules.OPEN).values_list("pk", flat=True)
    )
    if not open_ids:
        return None
    return _("expert dispatch %(ids)s is still open: complete or cancel it first") % {
        "ids": ", ".join(f"#{pk}" for pk in open_ids)
    }


# Late reports -----------------------------------------------------------------------------


def visit_report_due(visit: DispatchVisit) -> dt.date:
    return add_business_days(visit.date, VISIT_REPORT_BUSINESS_DAYS)


def _desk_dispatches(user: User, desk: Desk) -> QuerySet[Dispatch]:
    return policy.dispatches_visible_to(user).filter(program__desk=desk)


def late_visit_reports_for_desk(user: User, desk: Desk, *, today: dt.date | None = None) -> list:
    """Visits of the desk's programs whose report is more than 5 business days overdue
    (unfiled and past the deadline), oldest first; each carries `.report_due`."""
    today = today or timezone.localdate()
    # The deadline is at most ~3 weeks after the visit even over 年末年始; prefilter by date.
    candidates = (
        DispatchVisit.objects.filter(
            dispatch__in=_desk_dispatches(user, desk).values("pk"),
            dispatch__status__in=(
                DispatchStatus.SCHEDULED,
                DispatchStatus.COMPLETED,
                DispatchStatus.CANCELLED,
            ),
            report_filed_at__isnull=True,
            date__lt=today,
        )
        .select_related("dispatch", "dispatch__case", "dispatch__case__client", "expert")
        .order_by("date", "id")
    )
    late = []
    for visit in candidates:
        visit.report_due = visit_report_due(visit)
        if visit.report_due < today:
            late.append(visit)
    return late


def late_final_reports_for_desk(user: User, desk: Desk, *, today: dt.date | None = None) -> list:
    """Dispatches whose final report is more than 7 days after their last visit."""
    today = today or timezone.localdate()
    late = []
    dispatches = (
        _desk_dispatches(user, desk)
        .filter(
            status__in=(DispatchStatus.SCHEDULED, DispatchStatus.COMPLETED),
            final_report_at__isnull=True,
        )
        .select_related("case", "case__client", "expert")
        .prefetch_related("visits")
    )
    for dispatch in dispatches:
        visits = list(dispatch.visits.all())
        if not visits or any(v.date > today for v in visits):
            continue
        last = max(v.date for v in visits)
        dispatch.final_report_due = last + dt.timedelta(days=FINAL_REPORT_DAYS)
        if dispatch.final_report_due < today:
            late.append(dispatch)
    return late
