"""The dispatch figures of the reports (DESIGN §11: days approved / used / remaining per
program and sub-quota, days per expert, co-payment totals), registered in
`ExpertsConfig.ready()` as a report section (docs/reports.md, "Operations").

Organisation-wide: the programs and the roster are not a desk's, so managers and auditors
read them. Days used are the visits dated in the fiscal year (as plan vs actual counts them);
days taken and remaining follow the quota rules (docs/rules.md, "Expert dispatch").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, F, IntegerField, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from casebook.common.extensions import (
    FunderFigure,
    PlanMetric,
    PlanMetrics,
    ReportSection,
    ReportTable,
)
from casebook.common.fiscal import fiscal_year_bounds
from casebook.experts import rules
from casebook.experts.models import (
    Dispatch,
    DispatchProgram,
    DispatchStatus,
    DispatchVisit,
    Expert,
    Qualification,
)

if TYPE_CHECKING:
    from casebook.common.extensions import Registry, ReportScope

ZERO = Decimal(0)


def _days_by_quota(scope: ReportScope) -> ReportTable:
    """Each program of the year and its sub-quotas: quota, days taken (approved and not yet
    finished, or used by finished dispatches), days of visits in the year, days remaining.
    4 queries (the programs, their sub-quotas, the dispatches' sums, the visits' sums)."""
    programs = list(
        DispatchProgram.objects.filter(fiscal_year=scope.fiscal_year)
        .prefetch_related("sub_quotas")
        .order_by("code")
    )
    taken: dict[tuple[int, int | None], Decimal] = {}
    for row in (
        Dispatch.objects.filter(program__fiscal_year=scope.fiscal_year)
        .order_by()
        .values("program_id", "sub_quota_id")
        .annotate(taken=Sum(rules.taken_expression()))
    ):
        taken[(row["program_id"], row["sub_quota_id"])] = row["taken"] or ZERO
    used: dict[tuple[int, int | None], Decimal] = {}
    for row in (
        DispatchVisit.objects.filter(
            dispatch__program__fiscal_year=scope.fiscal_year,
            date__gte=scope.first_day,
            date__lte=scope.last_day,
        )
        .order_by()
        .values("dispatch__program_id", "dispatch__sub_quota_id")
        .annotate(days=Sum("day_fraction"))
    ):
        used[(row["dispatch__program_id"], row["dispatch__sub_quota_id"])] = row["days"]

    def line(label: str, quota: Decimal | None, keys: list[tuple[int, int | None]]):
        days_taken = sum((taken.get(key, ZERO) for key in keys), ZERO)
        days_used = sum((used.get(key, ZERO) for key in keys), ZERO)
        return (label, quota, days_taken, days_used, rules.remaining(quota, days_taken))

    rows = []
    for program in programs:
        subs = list(program.sub_quotas.all())
        every = [(program.pk, None), *((program.pk, sub.pk) for sub in subs)]
        rows.append(line(program.name, program.quota_days, every))
        rows += [
            line(f"{program.name} / {sub.name}", sub.quota_days, [(program.pk, sub.pk)])
            for sub in subs
        ]
    return ReportTable(
        key="dispatch_days",
        title=_("Dispatch days by program and sub-quota"),
        columns=(
            ("program", _("program")),
            ("quota", _("quota (days)")),
            ("taken", _("days approved or used")),
            ("used", _("days of visits in the year")),
            ("remaining", _("days remaining")),
        ),
        rows=tuple(rows),
        chart="used",
    )


def _days_by_expert(scope: ReportScope) -> ReportTable:
    """The experts who visited in the year: their dispatches and days (1 query)."""
    rows = (
        DispatchVisit.objects.filter(date__gte=scope.first_day, date__lte=scope.last_day)
        .order_by()
        .values("expert_id", "expert__name")
        .annotate(dispatches=Count("dispatch", distinct=True), days=Sum("day_fraction"))
        .order_by("-days", "expert__name", "expert_id")
    )
    return ReportTable(
        key="dispatch_days_by_expert",
        title=_("Dispatch days by expert"),
        columns=(("expert", _("expert")), ("dispatches", _("dispatches")), ("days", _("days"))),
        rows=tuple((row["expert__name"], row["dispatches"], row["days"]) for row in rows),
        chart="days",
    )


def _copayments(scope: ReportScope) -> ReportTable:
    """Per program, the dispatches finished in the year (completed, or cancelled with days
    used: the co-payment statement's rule), their days, the experts' fees at the agreed day
    rate and the clients' co-payments (1 query)."""
    finished = Q(
        status__in=(DispatchStatus.COMPLETED, DispatchStatus.CLOSED),
        completed_at__gte=scope.starts,
        completed_at__lt=scope.ends,
    ) | Q(
        status=DispatchStatus.CANCELLED,
        cancelled_at__gte=scope.starts,
        cancelled_at__lt=scope.ends,
        used_days__gt=0,
    )
    rows = (
        Dispatch.objects.filter(finished)
        .order_by()
        .values("program__fiscal_year", "program__code", "program__name")
        .annotate(
            dispatches=Count("pk"),
            days=Coalesce(Sum("used_days"), ZERO),
            fees=Sum(F("used_days") * F("day_rate_yen")),
            copay=Coalesce(Sum("copay_yen"), 0, output_field=IntegerField()),
        )
        .order_by("-program__fiscal_year", "program__code")
    )
    return ReportTable(
        key="copayments",
        title=_("Co-payments of the dispatches finished in the year"),
        columns=(
            ("program", _("program")),
            ("dispatches", _("dispatches")),
            ("days", _("days used")),
            ("fees_yen", _("experts' fees (yen)")),
            ("copay_yen", _("co-payments (yen)")),
        ),
        rows=tuple(
            (
                row["program__name"],
                row["dispatches"],
                row["days"],
                int(row["fees"] or 0),
                row["copay"],
            )
            for row in rows
        ),
        chart="copay_yen",
    )


def dispatch_tables(scope: ReportScope) -> Sequence[ReportTable]:
    return [_days_by_quota(scope), _days_by_expert(scope), _copayments(scope)]


def _visits_by_month(
    scope: ReportScope, *, measure: str, patent_attorneys: bool
) -> Mapping[dt.date, Decimal]:
    """The visits dated in the year to the cases of the pack's desk, by month: their number
    (`measure="visits"`) or their days (`"days"`); only those of experts qualified as patent
    attorneys when `patent_attorneys`. 2 queries (the visits by month and expert, the
    experts' qualifications: the JSON list is read in Python, as SQLite cannot search it)."""
    visits = DispatchVisit.objects.filter(date__gte=scope.first_day, date__lte=scope.last_day)
    if scope.desk_ids is not None:
        visits = visits.filter(dispatch__case__desk_id__in=scope.desk_ids)
    rows = list(
        visits.annotate(month=TruncMonth("date"))
        .order_by()
        .values("month", "expert_id")
        .annotate(visits=Count("id"), days=Sum("day_fraction"))
    )
    if patent_attorneys:
        qualified = {
            pk
            for pk, qualifications in Expert.objects.filter(
                pk__in={row["expert_id"] for row in rows}
            ).values_list("pk", "qualifications")
            if Qualification.PATENT_ATTORNEY in (qualifications or [])
        }
        rows = [row for row in rows if row["expert_id"] in qualified]
    totals: dict[dt.date, Decimal] = {}
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        totals[month] = totals.get(month, ZERO) + Decimal(row[measure] or 0)
    return totals


def _visit_figure(
    *, measure: str, patent_attorneys: bool
) -> Callable[[ReportScope], Mapping[dt.date, Decimal]]:
    def monthly(scope: ReportScope) -> Mapping[dt.date, Decimal]:
        return _visits_by_month(scope, measure=measure, patent_attorneys=patent_attorneys)

    return monthly


DAYS = pgettext_lazy("unit", "days")

# What the plan names (docs/reports.md, "Plan vs actual"); the actuals answer every program.
PLAN_METRICS = (
    PlanMetric("dispatch_days.expert", gettext_lazy("expert dispatch days"), DAYS),
    PlanMetric(
        "dispatch_days.expert.covid", gettext_lazy("expert dispatch days, COVID support"), DAYS
    ),
    PlanMetric(
        "dispatch_days.innovation_follow_up", gettext_lazy("follow-up expert dispatch days"), DAYS
    ),
)


def plan_dispatch_days(fiscal_year: int) -> dict[str, Decimal]:
    """Days used (visits dated in the fiscal year) per program of that year, and per
    program and sub-quota: `dispatch_days.<program>` and `dispatch_days.<program>.<sub>`.
    One query."""
    first, last = fiscal_year_bounds(fiscal_year)
    rows = (
        DispatchVisit.objects.filter(
            date__gte=first, date__lte=last, dispatch__program__fiscal_year=fiscal_year
        )
        .order_by()
        .values("dispatch__program__code", "dispatch__sub_quota__code")
        .annotate(days=Sum("day_fraction"))
    )
    days: dict[str, Decimal] = {}
    for row in rows:
        program = f"dispatch_days.{row['dispatch__program__code']}"
        days[program] = days.get(program, ZERO) + row["days"]
        if row["dispatch__sub_quota__code"]:
            sub = f"{program}.{row['dispatch__sub_quota__code']}"
            days[sub] = days.get(sub, ZERO) + row["days"]
    return days


def register(registry: Registry) -> None:
    registry.add_plan_metrics(
        PlanMetrics(key="dispatch_days", metrics=PLAN_METRICS, actuals=plan_dispatch_days)
    )
    # The IP desk's pack (docs/reports.md, "Funder packs"): the experts sent to its clients.
    for order, (key, label, measure, attorneys) in enumerate(
        (
            ("dispatch_visits", gettext_lazy("expert dispatches (visits)"), "visits", False),
            ("dispatch_days", gettext_lazy("expert dispatch days"), "days", False),
            (
                "attorney_visits",
                gettext_lazy("of which by patent attorneys (visits)"),
                "visits",
                True,
            ),
            ("attorney_days", gettext_lazy("of which by patent attorneys (days)"), "days", True),
        )
    ):
        registry.add_funder_figure(
            FunderFigure(
                key=key,
                pack="ip",
                label=label,
                monthly=_visit_figure(measure=measure, patent_attorneys=attorneys),
                order=10 + order,
            )
        )
    registry.add_report_section(
        ReportSection(
            key="dispatch",
            title=gettext_lazy("Expert dispatch"),
            tables=dispatch_tables,
            organisation_wide=True,
            order=10,
        )
    )
