"""Plan vs actual for a fiscal year (docs/reports.md, "Plan vs actual"): each target of the
plan, the actual read from the raw records, and the pace to the year's end."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from casebook.common.fiscal import fiscal_year_bounds, fiscal_year_label
from casebook.reports import metrics, policy
from casebook.reports.models import PlanTarget

if TYPE_CHECKING:
    from casebook.accounts.models import User

ON_TRACK = "on_track"
BEHIND = "behind"


@dataclass
class PlanRow:
    metric: str
    label: str
    unit: str
    target: Decimal
    actual: Decimal
    expected_by_now: Decimal
    source: str

    @property
    def status(self) -> str:
        return ON_TRACK if self.actual >= self.expected_by_now else BEHIND

    @property
    def percent(self) -> int:
        """The actual as a percentage of the target (0 for a target of 0 not met yet)."""
        if self.target == 0:
            return 100 if self.actual else 0
        return int((self.actual * 100 / self.target).to_integral_value(ROUND_HALF_UP))

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "label": self.label,
            "unit": self.unit,
            "target": str(self.target),
            "actual": str(self.actual),
            "expected_by_now": str(self.expected_by_now),
            "percent": self.percent,
            "status": self.status,
            "source": self.source,
        }


@dataclass
class PlanReport:
    fiscal_year: int
    as_of: dt.date
    elapsed: Decimal  # the share of the fiscal year gone by on `as_of`, 0 to 1
    rows: list[PlanRow]

    @property
    def label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fiscal_year": self.fiscal_year,
            "fiscal_year_label": self.label,
            "as_of": self.as_of.isoformat(),
            "elapsed": str(self.elapsed),
            "results": [row.as_dict() for row in self.rows],
        }


def elapsed_share(fiscal_year: int, today: dt.date) -> Decimal:
    """Days gone by (today included) over the days of the fiscal year, 0 before it, 1 after."""
    first, last = fiscal_year_bounds(fiscal_year)
    if today < first:
        return Decimal(0)
    if today >= last:
        return Decimal(1)
    days = (last - first).days + 1
    return (Decimal((today - first).days + 1) / Decimal(days)).quantize(Decimal("0.0001"))


def plan_report(*, user: User, fiscal_year: int) -> PlanReport:
    """The targets (1 query) against the actuals (`metrics.actuals`, 5 queries)."""
    policy.require_org_reader(user)
    today = timezone.localdate()
    elapsed = elapsed_share(fiscal_year, today)
    targets = list(PlanTarget.objects.filter(fiscal_year=fiscal_year).order_by("pk"))
    actual = metrics.actuals(fiscal_year) if targets else {}
    known = metrics.known()
    rows = []
    for target in targets:
        metric = known.get(target.metric)
        rows.append(
            PlanRow(
                metric=target.metric,
                label=str(metric.label) if metric else target.metric,
                unit=str(metric.unit) if metric else "",
                target=target.target,
                actual=actual.get(target.metric, Decimal(0)),
                expected_by_now=(target.target * elapsed).quantize(Decimal("0.1")),
                source=target.source,
            )
        )
    _first, last = fiscal_year_bounds(fiscal_year)
    return PlanReport(fiscal_year=fiscal_year, as_of=min(today, last), elapsed=elapsed, rows=rows)
