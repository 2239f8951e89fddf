"""Satellite utilisation over a fiscal year for the reports, and the count of satellites open
for plan vs actual, registered in
`SatellitesConfig.ready()` as a report section (docs/reports.md, "Operations"): per satellite
office, the consultation days held, the slots offered on them, the slots booked (bookings not
cancelled), held (checked in) and no-shows, and the share booked. The month-by-month view
stays the satellites' own screen (docs/satellites.md, "Utilisation")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from casebook.common.extensions import PlanMetric, PlanMetrics, ReportSection, ReportTable
from casebook.common.fiscal import fiscal_year_bounds
from casebook.satellites.selectors import satellite_offices_open, slot_counts_by_office

if TYPE_CHECKING:
    from casebook.common.extensions import Registry, ReportScope

COUNTS = ("days", "offered", "booked", "held", "no_show")


def _share(booked: int, offered: int) -> float | None:
    return round(100 * booked / offered, 1) if offered else None


def utilisation_table(scope: ReportScope) -> ReportTable:
    """Every satellite office open on some day of the year, and the total (2 queries)."""
    counts = slot_counts_by_office(first_day=scope.first_day, last_day=scope.last_day)
    offices = satellite_offices_open(first_day=scope.first_day, last_day=scope.last_day)
    rows = []
    total = dict.fromkeys(COUNTS, 0)
    for office in offices:
        row = counts.get(office.pk, {})
        values = [row.get(name, 0) for name in COUNTS]
        for name, value in zip(COUNTS, values, strict=True):
            total[name] += value
        rows.append((office.name, *values, _share(values[2], values[1])))
    return ReportTable(
        key="satellite_utilisation",
        title=_("Satellite utilisation"),
        columns=(
            ("office", _("office")),
            ("days", _("days held")),
            ("offered", _("slots offered")),
            ("booked", _("booked")),
            ("held", _("held")),
            ("no_show", _("no-show")),
            ("booked_percent", _("booked (%)")),
        ),
        rows=tuple(rows),
        chart="booked",
        total=(
            _("total"),
            *(total[name] for name in COUNTS),
            _share(total["booked"], total["offered"]),
        ),
    )


def satellite_tables(scope: ReportScope) -> Sequence[ReportTable]:
    return [utilisation_table(scope)]


PLAN_METRICS = (
    PlanMetric(
        "satellites", gettext_lazy("satellite offices open"), pgettext_lazy("unit", "places")
    ),
)


def plan_satellites(fiscal_year: int) -> dict[str, int]:
    """Plan vs actual's count: the satellite offices open on some day of the fiscal year
    (1 query)."""
    first, last = fiscal_year_bounds(fiscal_year)
    return {"satellites": satellite_offices_open(first_day=first, last_day=last).count()}


def register(registry: Registry) -> None:
    # After the experts' dispatch days (order 100): plan vs actual lists its metrics in the
    # order the business plan names them (docs/reports.md, "Plan vs actual").
    registry.add_plan_metrics(
        PlanMetrics(key="satellites", metrics=PLAN_METRICS, actuals=plan_satellites, order=200)
    )
    registry.add_report_section(
        ReportSection(
            key="satellites",
            title=gettext_lazy("Satellites"),
            tables=satellite_tables,
            organisation_wide=True,
            order=20,
        )
    )
