"""Derived reads of dispatch data: expert suggestions, the quota dashboard with its
burn-down, and the monthly co-payment statement. Keyword-only, never writing."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.common.fiscal import fiscal_year_bounds
from casebook.common.japanese import normalize_text
from casebook.experts import policy, rules
from casebook.experts.models import Dispatch, DispatchProgram, DispatchStatus, DispatchVisit, Expert
from casebook.experts.selectors.dispatches import dispatch_list_for_user

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.experts.models import SubQuota
    from casebook.intake.models import Case

RECENT_LOAD_DAYS = 90


# Suggestions ------------------------------------------------------------------------------


@dataclass
class Suggestion:
    expert: Expert
    score: float
    reasons: list[str]
    remaining_days: Decimal
    conflicts: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return " / ".join(self.reasons)


def _serves(expert: Expert, municipality: str) -> bool:
    areas = [normalize_text(a) for a in expert.service_areas or []]
    return settings.CASEBOOK_PREFECTURE in areas or (bool(municipality) and municipality in areas)


def suggest_experts(
    *,
    case: Case,
    program: DispatchProgram | None = None,
    fiscal_year: int | None = None,
    limit: int = 8,
) -> list[Suggestion]:
    """Active, registered experts ranked by specialty match (3 per shared topic), service
    area (2), the share of their yearly days still free (up to 2) and recent load (minus
    0.5 per visit in the last 90 days). Experts with a declared conflict come last."""
    from casebook.common.fiscal import current_fiscal_year
    from casebook.intake.models import Topic

    today = timezone.localdate()
    fiscal_year = program.fiscal_year if program else (fiscal_year or current_fiscal_year())
    topics = set(case.topics.values_list("code", flat=True))
    topic_names = dict(Topic.objects.values_list("code", "name"))
    municipality = normalize_text(case.client.municipality) if case.client else ""
    wants_ip = bool(topics & {"ip_patent", "ip_trademark", "ip_design"}) or (
        program is not None and program.desk.code == "ip"
    )
    experts = list(
        Expert.objects.filter(active=True, registered_from__lte=today)
        .filter(Q(registered_until__isnull=True) | Q(registered_until__gte=today))
        .prefetch_related("conflicts")
    )
    since = today - dt.timedelta(days=RECENT_LOAD_DAYS)
    load = dict(
        DispatchVisit.objects.filter(date__gte=since, date__lte=today)
        .values_list("expert_id")
        .annotate(n=Count("id"))
    )
    taken = {
        row["expert_id"]: row["total"] or rules.ZERO
        for row in Dispatch.objects.filter(program__fiscal_year=fiscal_year)
        .values("expert_id")
        .annotate(total=_sum_taken())
    }
    suggestions = []
    for expert in experts:
        remaining_days = expert.max_days_per_fy - taken.get(expert.pk, rules.ZERO)
        if remaining_days <= 0:
            continue
        score = 0.0
        reasons = []
        shared = [t for t in expert.specialties or [] if t in topics]
        if shared:
            score += 3 * len(shared)
            reasons.append(_("specialty: %s") % "、".join(topic_names.get(t, t) for t in shared))
        if wants_ip and expert.is_patent_attorney:
            score += 3
            reasons.append(_("patent attorney"))
        if _serves(expert, municipality):
            score += 2
            reasons.append(_("serves %s") % (municipality or settings.CASEBOOK_PREFECTURE))
        if expert.max_days_per_fy:
            share = float(remaining_days / expert.max_days_per_fy)
            score += 2 * share
        reasons.append(
            _("%(left)s of %(max)s days left in FY%(fy)s")
            % {"left": remaining_days, "max": expert.max_days_per_fy, "fy": fiscal_year}
        )
        visits = load.get(expert.pk, 0)
        score -= 0.5 * visits
        reasons.append(_("%(n)d visits in the last %(days)d days") % {"n": visits, "days": 90})
        conflicts = rules.conflicts_for(expert, case) if case.client else []
        if conflicts:
            score -= 100
            reasons.append(_("conflict of interest declared"))
        suggestions.append(Suggestion(expert, round(score, 2), reasons, remaining_days, conflicts))
    suggestions.sort(key=lambda s: (-s.score, s.expert.name_search, s.expert.pk))
    return suggestions[:limit]


def _sum_taken() -> Sum:
    return Sum(rules.taken_expression())


# Quota dashboard --------------------------------------------------------------------------


@dataclass
class QuotaLine:
    """One program or sub-quota on the dashboard."""

    label: str
    quota: Decimal | None
    reserved: Decimal
    used: Decimal
    projected_used_at_month_end: Decimal
    burn_down: list[tuple[dt.date, Decimal]]  # (month end, remaining) up to today
    sub_quota: SubQuota | None = None
    program: DispatchProgram | None = None

    @property
    def remaining(self) -> Decimal | None:
        return rules.remaining(self.quota, self.reserved + self.used)

    @property
    def percent_taken(self) -> int:
        if not self.quota:
            return 0
        return int((self.reserved + self.used) * 100 / self.quota)


def _month_ends(fiscal_year: int, until: dt.date) -> list[dt.date]:
    first, last = fiscal_year_bounds(fiscal_year)
    ends = []
    year, month = first.year, first.month
    while True:
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        ends.append(end)
        if end >= last:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return [e for e in ends if e <= until] + ([until] if until < last else [])


def _taken_on(dispatch: Dispatch, day: dt.date) -> Decimal:
    """Days `dispatch` held at the end of `day`, replayed from its timestamps."""

    def on_or_before(moment: dt.datetime | None) -> bool:
        return moment is not None and timezone.localtime(moment).date() <= day

    if not on_or_before(dispatch.approved_at):
        return rules.ZERO
    finished = dispatch.completed_at or dispatch.cancelled_at
    if on_or_before(finished):
        return dispatch.used_days or rules.ZERO
    return dispatch.approved_days or rules.ZERO


def _line(
    label: str,
    quota: Decimal | None,
    dispatches: QuerySet[Dispatch],
    fiscal_year: int,
    today: dt.date,
) -> QuotaLine:
    counts = rules.day_counts(dispatches)
    rows = list(dispatches.exclude(approved_at__isnull=True).prefetch_related("visits"))
    ends = _month_ends(fiscal_year, today)
    burn = []
    for end in ends:
        taken = sum((_taken_on(d, end) for d in rows), start=rules.ZERO)
        burn.append((end, (quota - taken) if quota is not None else taken))
    month_end = dt.date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    projected = counts.used + sum(
        (
            v.day_fraction
            for d in rows
            if d.status in rules.RESERVING
            for v in d.visits.all()
            if v.date <= month_end
        ),
        start=rules.ZERO,
    )
    return QuotaLine(label, quota, counts.reserved, counts.used, projected, burn)


def quota_dashboard(*, user: User, fiscal_year: int) -> list[QuotaLine]:
    if not policy.can_see_quota(user):
        return []
    today = min(timezone.localdate(), fiscal_year_bounds(fiscal_year)[1])
    lines: list[QuotaLine] = []
    programs = DispatchProgram.objects.filter(fiscal_year=fiscal_year).prefetch_related(
        "sub_quotas"
    )
    for program in programs:
        line = _line(
            program.name,
            program.quota_days,
            Dispatch.objects.filter(program=program),
            fiscal_year,
            today,
        )
        line.program = program
        lines.append(line)
        for sub_quota in program.sub_quotas.all():
            sub = _line(
                f"{program.name} / {sub_quota.name}",
                sub_quota.quota_days,
                Dispatch.objects.filter(sub_quota=sub_quota),
                fiscal_year,
                today,
            )
            sub.sub_quota, sub.program = sub_quota, program
            lines.append(sub)
    return lines


# Co-payment statement ---------------------------------------------------------------------


def copay_rows(*, user: User, year: int, month: int) -> list[dict[str, object]]:
    """Dispatches finished (completed or cancelled with days used) in the month."""
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    finished = (
        dispatch_list_for_user(user=user)
        .filter(
            Q(
                status__in=(DispatchStatus.COMPLETED, DispatchStatus.CLOSED),
                completed_at__date__range=(first, last),
            )
            | Q(
                status=DispatchStatus.CANCELLED,
                cancelled_at__date__range=(first, last),
                used_days__gt=0,
            )
        )
        .order_by("program__code", "id")
    )
    rows = []
    for dispatch in finished:
        finished_at = dispatch.completed_at or dispatch.cancelled_at
        rows.append(
            {
                "dispatch": dispatch.pk,
                "finished_on": timezone.localtime(finished_at).date().isoformat(),
                "case": dispatch.case.number if dispatch.case_named else "",
                "case_record": dispatch.case,
                "client": dispatch.case.client.name if dispatch.case.client else "",
                "program": dispatch.program.name,
                "sub_quota": dispatch.sub_quota.name if dispatch.sub_quota else "",
                "expert": dispatch.expert.name,
                "used_days": dispatch.used_days or rules.ZERO,
                "day_rate_yen": dispatch.day_rate_yen,
                "rule": rules.copay_rule_label(dispatch.program, dispatch.sub_quota),
                "copay_yen": dispatch.copay_yen,
                "status": dispatch.get_status_display(),
            }
        )
    return rows
