"""The metrics a plan target may name, and how each actual is read from the raw records
(docs/reports.md, "Plan vs actual"). The reports' own metrics are here; an app adds its own
through the registry (`PlanMetrics`, registered in its `AppConfig.ready()`: the expert
dispatch days, the satellites open), so the reports never import it. `actuals(fiscal_year)`
reads them all in 5 queries."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from casebook.common.days import on_days
from casebook.common.extensions import PlanMetric, registry
from casebook.common.fiscal import fiscal_year_bounds
from casebook.intake.models import Case, ConsultationSession, IpRight
from casebook.reports.models import Activity, ActivityKind

Metric = PlanMetric

TIMES = pgettext_lazy("unit", "times")
CASES = pgettext_lazy("unit", "cases")

ACTIVITY_METRIC = "activities."
FOREIGN_FILING_METRIC = "foreign_filings."

CONSULTATIONS = Metric("consultations", _("consultation count"), CASES)
OWN_METRICS: tuple[Metric, ...] = (
    *(Metric(f"{FOREIGN_FILING_METRIC}{right.value}", right.label, CASES) for right in IpRight),
    *(Metric(f"{ACTIVITY_METRIC}{kind.value}", kind.label, TIMES) for kind in ActivityKind),
)


def known() -> dict[str, Metric]:
    """Every metric a target may name, by code: the reports' own and the apps' (registered
    in their `AppConfig.ready()`, so read when asked, never at import)."""
    contributed = [m for source in registry.plan_metrics_sources() for m in source.metrics]
    return {metric.code: metric for metric in (CONSULTATIONS, *contributed, *OWN_METRICS)}


def _foreign_filings(fiscal_year: int) -> dict[str, int]:
    """IP cases opened in the fiscal year whose details name a country for foreign filing,
    per right sought (a case seeking two rights counts for each)."""
    first, last = fiscal_year_bounds(fiscal_year)
    rows = Case.objects.filter(
        on_days("opened_at", first, last),
        ip__isnull=False,
    ).values_list("ip__rights_sought", "ip__foreign_filing_countries")
    counts: dict[str, int] = {}
    for rights, countries in rows:
        if not countries:
            continue
        for right in rights or []:
            key = f"{FOREIGN_FILING_METRIC}{right}"
            counts[key] = counts.get(key, 0) + 1
    return counts


def actuals(fiscal_year: int) -> dict[str, Decimal]:
    """Every metric's actual for the fiscal year, from the raw records (organisation-wide)."""
    first, last = fiscal_year_bounds(fiscal_year)
    values: dict[str, Decimal] = {code: Decimal(0) for code in known()}
    values["consultations"] = Decimal(
        ConsultationSession.objects.filter(on_days("started_at", first, last)).count()
    )
    for source in registry.plan_metrics_sources():
        values.update({code: Decimal(n) for code, n in source.actuals(fiscal_year).items()})
    values.update({code: Decimal(n) for code, n in _foreign_filings(fiscal_year).items()})
    activity_counts = (
        Activity.objects.filter(held_on__gte=first, held_on__lte=last)
        .order_by()
        .values("kind")
        .annotate(n=Count("id"))
    )
    for row in activity_counts:
        values[f"{ACTIVITY_METRIC}{row['kind']}"] = Decimal(row["n"])
    return values
