"""The activities the plan counts, with their participants and outcomes (docs/reports.md,
"Activities"), filtered by `policy.activities_q`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from casebook.intake import policy as case_policy
from casebook.intake.models import Confidentiality
from casebook.reports import policy
from casebook.reports.models import Activity, ActivityKind, ActivityParticipant
from casebook.reports.selectors.filters import ReportFilters

if TYPE_CHECKING:
    from casebook.accounts.models import User


def activity_list_for_user(
    *, user: User, fiscal_year: int | None = None, kind: str = ""
) -> QuerySet[Activity]:
    """Newest first, with the number of participants, their deals and follow-up cases."""
    activities = Activity.objects.filter(policy.activities_q(user))
    if fiscal_year is not None:
        filters = ReportFilters(fiscal_year)
        activities = activities.filter(
            held_on__gte=filters.first_day, held_on__lte=filters.last_day
        )
    if kind:
        activities = activities.filter(kind=kind)
    return (
        activities.select_related("desk")
        .annotate(
            participant_count=Count("participants", distinct=True),
            deal_count=Sum("participants__deals"),
            follow_up_count=Count("participants__follow_up_case", distinct=True),
        )
        .order_by("-held_on", "-pk")
    )


def activity_get_for_user(*, user: User, pk: Any) -> Activity:
    """The activity if `user` reads its desk's figures, else 404."""
    try:
        return activity_list_for_user(user=user).get(pk=pk)
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise Http404("no such activity") from None


def activity_counts_by_kind(*, user: User, fiscal_year: int) -> list[tuple[str, str, int]]:
    """(kind, label, activities) of the year, every kind listed (1 query)."""
    counts = dict(
        activity_list_for_user(user=user, fiscal_year=fiscal_year)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("id", distinct=True))
        .values_list("kind", "n")
    )
    return [(kind.value, str(kind.label), counts.get(kind.value, 0)) for kind in ActivityKind]


@dataclass(frozen=True)
class ParticipantRow:
    participant: ActivityParticipant
    follow_up_shown: bool  # the reader may see the follow-up case, and it is not restricted


def activity_participants(*, user: User, activity: Activity) -> list[ParticipantRow]:
    """The participants with their clients; a follow-up case is shown only to a reader who may
    see it, and never when restricted (it still counts in the activity's figures). 2 queries."""
    rows = list(activity.participants.select_related("client", "follow_up_case").order_by("pk"))
    case_ids = [row.follow_up_case_id for row in rows if row.follow_up_case_id]
    visible = (
        set(
            case_policy.cases_visible_to(user)
            .filter(pk__in=case_ids)
            .exclude(confidentiality=Confidentiality.RESTRICTED)
            .values_list("pk", flat=True)
        )
        if case_ids
        else set()
    )
    return [
        ParticipantRow(participant=row, follow_up_shown=row.follow_up_case_id in visible)
        for row in rows
    ]
