"""Satellite utilisation over a fiscal year for the reports, registered in
`SatellitesConfig.ready()` as a report section (docs/reports.md, "Operations"): per satellite
office, the consultation days held, the slots offered on them, the slots booked (bookings not
cancelled), held (checked in) and no-shows, and the share booked. The month-by-month view
stays the satellites' own screen (docs/satellites.md, "Utilisation")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.common.extensions import ReportSection, ReportTable
from casebook.satellites.models import (
    Office,
    OfficeKind,
)
from casebook.satellites.selectors import slot_counts_by_office

if TYPE_CHECKING:
    from casebook.common.extensions import Registry, ReportScope

COUNTS = ("days", "offered", "booked", "held", "no_show")


def _share(booked: int, offered: int) -> float | None:
    return round(100 * booked / offered, 1) if offered else None


def utilisation_table(scope: ReportScope) -> ReportTable:
    """Every satellite office open on some day of the year, and the total (2 queries)."""
    counts = slot_counts_by_office(first_day=scope.first_day, last_day=scope.last_day)
    offices = (
        Office.objects.filter(kind=OfficeKind.SATELLITE)
        .filter(Q(active_from__isnull=True) | Q(active_from__lte=scope.last_day))
        .filter(Q(active_until__isnull=True) | Q(active_until__gte=scope.first_day))
        .order_by("code")
    )
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


def register(registry: Registry) -> None:
    registry.add_report_section(
        ReportSection(
            key="satellites",
            title=gettext_lazy("Satellites"),
            tables=satellite_tables,
            organisation_wide=True,
            order=20,
        )
    )
