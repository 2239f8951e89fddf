"""Every read of the exit track, filtered by `casebook.exits.policy`; getters raise 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Case, Count, Prefetch, Q, QuerySet, When
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.utils import timezone

from casebook.common.days import on_days
from casebook.common.extensions import read_once
from casebook.common.paging import Page, page_of
from casebook.exits import policy
from casebook.exits.models import ExitPlan, ExitTrackDecision, Milestone
from casebook.intake import policy as case_policy
from casebook.intake.models import AccessLog

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.intake.models import Case as CaseRow

# Each list of the dashboard shows this many rows; the plan list has them all, paged.
DASHBOARD_ROWS = 20
PAGE_SIZE = 25


def plan_list_for_user(*, user: User) -> QuerySet[ExitPlan]:
    return (
        ExitPlan.objects.filter(policy.visible_plans_q(user))
        .select_related("case__desk", "case__client", "owner")
        .order_by("-started_on", "-id")
    )


def plan_page(*, user: User, number: int = 1) -> Page:
    """One page of the plans on the track that `user` may see, newest first."""
    plans = plan_list_for_user(user=user).filter(on_track=True)
    return page_of(plans, number=number, size=PAGE_SIZE)


def _with_milestones(plans: QuerySet[ExitPlan]) -> QuerySet[ExitPlan]:
    return plans.prefetch_related(
        Prefetch(
            "milestones",
            queryset=Milestone.objects.select_related("owner").order_by("order", "id"),
        )
    )


def plan_get_for_user(*, user: User, pk: object) -> ExitPlan:
    """One plan `user` may see, with its milestones; Http404 otherwise."""
    try:
        return _with_milestones(plan_list_for_user(user=user)).get(pk=int(pk))
    except (ExitPlan.DoesNotExist, TypeError, ValueError) as error:
        raise Http404("no such exit plan") from error


def plan_seen_by(*, user: User, plan_id: int) -> bool:
    """Whether `user` may see the plan `plan_id` (a live event is re-checked with this)."""
    return ExitPlan.objects.filter(policy.visible_plans_q(user), pk=plan_id).exists()


def plan_for_case(*, user: User, case: CaseRow) -> ExitPlan | None:
    """The plan of a case `user` already sees, when `user` may see plans (None otherwise);
    read once per case object for the panel and the timeline alike."""

    def read() -> ExitPlan | None:
        if not (policy.works_the_track(user) or case_policy.is_assigned(user, case)):
            return None
        return _with_milestones(ExitPlan.objects.filter(case=case)).select_related("owner").first()

    return read_once(case, "_exit_plan_seen_by", user, read)


def decisions_for_case(*, user: User, case: CaseRow) -> list[ExitTrackDecision]:
    if plan_for_case(user=user, case=case) is None:
        return []
    return list(ExitTrackDecision.objects.filter(case=case).select_related("by"))


def milestone_list_for_user(*, user: User) -> QuerySet[Milestone]:
    plans = ExitPlan.objects.filter(policy.visible_plans_q(user)).values("pk")
    return (
        Milestone.objects.filter(plan_id__in=plans)
        .select_related("plan__case", "owner")
        .order_by("plan_id", "order", "id")
    )


def milestone_get_for_user(*, user: User, pk: object) -> Milestone:
    try:
        return milestone_list_for_user(user=user).select_related("plan__case__desk").get(pk=int(pk))
    except (Milestone.DoesNotExist, TypeError, ValueError) as error:
        raise Http404("no such milestone") from error


def plan_owner_choices(*, plan: ExitPlan) -> QuerySet[User]:
    """Who the plan's form offers as its owner: the exit team (and the current owner, who
    stays shown after they left it), by their reading."""
    return _people(policy.plan_owners_q(), plan.owner_id)


def milestone_owner_choices(*, milestone: Milestone) -> QuerySet[User]:
    """Who a milestone's form offers as its owner: the exit team and the case's counselors."""
    return _people(policy.milestone_owners_q(milestone.plan.case), milestone.owner_id)


def _people(allowed: Q, current: int | None) -> QuerySet[User]:
    from casebook.accounts.models import User

    if current is not None:
        allowed |= Q(pk=current)
    return User.objects.filter(allowed).order_by("display_name_kana", "username")


# --- the team's dashboard --------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    by_path_and_stage: dict[str, dict[str, int]]
    due_this_week: list[Milestone]
    overdue: list[Milestone]
    breaches: list[ExitPlan]
    outcomes: dict[int, dict[str, int]]
    week_ends: dt.date


def _open_milestones(user: User) -> QuerySet[Milestone]:
    return (
        milestone_list_for_user(user=user)
        .filter(completed_on__isnull=True, plan__on_track=True)
        .select_related("plan__case__client")
        .order_by("due_on", "id")
    )


def dashboard_for_user(*, user: User) -> Dashboard:
    """The exit team's dashboard: plans on the track by path and stage, the open milestones
    due this week and the overdue ones, the plans breaking a legal deadline (each list
    bounded) and outcomes by fiscal year (counts)."""
    policy.require_dashboard(user)
    today = timezone.localdate()
    week_ends = today + dt.timedelta(days=6 - today.weekday())
    plans = ExitPlan.objects.filter(policy.visible_plans_q(user))
    grid: dict[str, dict[str, int]] = {}
    for row in plans.filter(on_track=True).values("path", "stage").annotate(n=Count("pk")):
        grid.setdefault(row["path"], {})[row["stage"]] = row["n"]
    outcomes: dict[int, dict[str, int]] = {}
    # The fiscal year (April to March) in SQL: one row per year and outcome.
    fiscal_year = Case(
        When(outcome_on__month__gte=4, then=ExtractYear("outcome_on")),
        default=ExtractYear("outcome_on") - 1,
    )
    rows = (
        plans.exclude(outcome="")
        .exclude(outcome_on=None)
        .annotate(fy=fiscal_year)
        .values("fy", "outcome")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        outcomes.setdefault(row["fy"], {})[row["outcome"]] = row["n"]
    open_milestones = _open_milestones(user)
    return Dashboard(
        by_path_and_stage=grid,
        due_this_week=list(
            open_milestones.filter(due_on__range=(today, week_ends))[:DASHBOARD_ROWS]
        ),
        overdue=list(open_milestones.filter(due_on__lt=today)[:DASHBOARD_ROWS]),
        breaches=list(
            plan_list_for_user(user=user).filter(deadline_breaches__gt=0, on_track=True)[
                :DASHBOARD_ROWS
            ]
        ),
        outcomes=dict(sorted(outcomes.items(), reverse=True)),
        week_ends=week_ends,
    )


# --- the export -------------------------------------------------------------------------------

EXPORT_CHUNK = 200


def export_plans(
    *, user: User, path: str = "", stage: str = "", on_track: bool | None = None
) -> QuerySet[ExitPlan]:
    """The plans the exit team's CSV lists, with their milestones, oldest first (the view
    streams them by chunks of `EXPORT_CHUNK`, each chunk one query and one for its
    milestones)."""
    policy.require_export(user)
    plans = plan_list_for_user(user=user).select_related("case__client", "owner")
    if path:
        plans = plans.filter(path=path)
    if stage:
        plans = plans.filter(stage=stage)
    if on_track is not None:
        plans = plans.filter(on_track=on_track)
    return _with_milestones(plans).order_by("started_on", "id")


def export_cases(*, plans: QuerySet[ExitPlan]) -> list[CaseRow]:
    """The cases an export lists (their id and level only), for its access-log rows."""
    from casebook.intake.models import Case as CaseModel

    return list(
        CaseModel.objects.filter(pk__in=plans.values("case_id")).only("pk", "confidentiality")
    )


# --- the access log ---------------------------------------------------------------------------

ACCESS_LOG_PAGE = 50


def access_log_page(
    *,
    user: User,
    number: int = 1,
    username: str = "",
    case_number: str = "",
    via: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Page:
    """One page of the access log, newest first, filtered (managers and auditors; a case is
    found by its number only for those the policy lets see it named)."""
    policy.require_access_log(user)
    rows = AccessLog.objects.select_related("user", "case").order_by("-at", "-id")
    if username:
        rows = rows.filter(user__username=username)
    if case_number:
        rows = (
            rows.filter(case__number=case_number)
            if policy.names_restricted_cases(user)
            else rows.none()
        )
    if via:
        rows = rows.filter(via=via)
    rows = rows.filter(on_days("at", since, until))
    return page_of(rows, number=number, size=ACCESS_LOG_PAGE)
