"""Reads of the expert roster and the dispatch programs, keyword-only, filtered by the
experts policy, never writing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from casebook.common.fiscal import current_fiscal_year
from casebook.common.japanese import normalize_text, search_key
from casebook.experts import policy, rules
from casebook.experts.models import (
    ConflictDeclaration,
    Dispatch,
    DispatchProgram,
    DispatchVisit,
    Expert,
)

if TYPE_CHECKING:
    from casebook.accounts.models import User


def expert_list_for_user(*, user: User) -> QuerySet[Expert]:
    own = policy.expert_of(user)
    if own is not None:
        return Expert.objects.filter(pk=own.pk)
    if not policy.can_see_roster(user):
        return Expert.objects.none()
    return Expert.objects.all()


def expert_get_for_user(*, user: User, pk: int) -> Expert:
    try:
        return expert_list_for_user(user=user).get(pk=pk)
    except (Expert.DoesNotExist, ValueError, TypeError):
        raise Http404("no such expert") from None


def expert_search(
    *,
    user: User,
    text: str = "",
    qualification: str = "",
    specialty: str = "",
    area: str = "",
    active: bool | None = True,
) -> QuerySet[Expert]:
    """The roster filtered; the JSON lists are matched in Python, the same on both databases
    (the roster is a few hundred rows)."""
    queryset = expert_list_for_user(user=user)
    key = search_key(text)
    if key:
        queryset = queryset.filter(Q(name_search__contains=key) | Q(affiliation__icontains=text))
    if active is not None:
        queryset = queryset.filter(active=active)
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


def with_days_taken(experts: QuerySet[Expert], *, fiscal_year: int) -> QuerySet[Expert]:
    """Each expert with `days_taken` (in `fiscal_year`) and `days_remaining`, in the same
    query as the experts themselves."""
    taken = (
        Dispatch.objects.filter(expert_id=OuterRef("pk"), program__fiscal_year=fiscal_year)
        .order_by()
        .values("expert_id")
        .annotate(total=Sum(rules.taken_expression()))
        .values("total")
    )
    days = DecimalField(max_digits=8, decimal_places=1)
    return experts.annotate(
        days_taken=Coalesce(Subquery(taken, output_field=days), rules.ZERO, output_field=days)
    ).annotate(days_remaining=F("max_days_per_fy") - F("days_taken"))


def conflicts_of(*, expert: Expert) -> QuerySet[ConflictDeclaration]:
    return expert.conflicts.all()


def expert_fy_days(*, expert: Expert, fiscal_year: int) -> dict[str, object]:
    taken = rules.expert_days_taken(expert, fiscal_year)
    return {
        "fiscal_year": fiscal_year,
        "max": expert.max_days_per_fy,
        "taken": taken,
        "remaining": expert.max_days_per_fy - taken,
    }


def expert_by_calendar_token(*, token: str) -> Expert:
    expert = Expert.objects.filter(calendar_token=token, active=True).first() if token else None
    if expert is None:
        raise Http404("no such calendar")
    return expert


def visits_of_expert(
    *, expert: Expert, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[DispatchVisit]:
    """The expert's booked visits (of every dispatch, seen or not: the calendar shows a
    dispatch the reader may not see as "booked")."""
    queryset = DispatchVisit.objects.filter(
        expert=expert, dispatch__status__in=rules.BOOKING
    ).select_related("dispatch", "dispatch__case", "dispatch__case__client", "dispatch__program")
    if start is not None:
        queryset = queryset.filter(date__gte=start)
    if end is not None:
        queryset = queryset.filter(date__lte=end)
    return queryset


# Programs ---------------------------------------------------------------------------------


def program_list_for_user(
    *, user: User, fiscal_year: int | None = None
) -> QuerySet[DispatchProgram]:
    if not (policy.can_see_roster(user) or policy.is_expert_login(user)):
        return DispatchProgram.objects.none()
    queryset = DispatchProgram.objects.select_related("desk").prefetch_related("sub_quotas")
    if fiscal_year is not None:
        queryset = queryset.filter(fiscal_year=fiscal_year)
    return queryset


def program_get_for_user(*, user: User, pk: int) -> DispatchProgram:
    try:
        return program_list_for_user(user=user).get(pk=pk)
    except (DispatchProgram.DoesNotExist, ValueError, TypeError):
        raise Http404("no such program") from None


def programs_open_for_request(*, user: User) -> QuerySet[DispatchProgram]:
    return program_list_for_user(user=user, fiscal_year=current_fiscal_year()).filter(active=True)


def program_years() -> list[int]:
    """The fiscal years that have programs, newest first."""
    years = DispatchProgram.objects.order_by("-fiscal_year").values_list("fiscal_year", flat=True)
    return list(years.distinct())
