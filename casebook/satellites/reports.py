"""Satellite utilisation over a fiscal year for the reports (DESIGN §11), registered in
`SatellitesConfig.ready()` as a report section (docs/reports.md, "Operations"): per satellite
office, the consultation days held, the slots offered on them, the slots booked (bookings not
cancelled), held (checked in) and no-shows, and the share booked. The month-by-month view
stays the satellites' own screen (docs/satellites.md, "Utilisation")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.common.extensions import ReportSection, ReportTable
from casebook.satellites.models import (
    ACTIVE_BOOKING_STATUSES,
    BookingStatus,
    DayStatus,
    Office,
    OfficeKind,
    Slot,
)

if TYPE_CHECKING:
    from casebook.common.extensions import Registry, ReportScope

COUNTS = ("days", "offered", "booked", "held", "no_show")


def _share(booked: int, offered: int) -> float | None:
    return round(100 * booked / offered, 1) if offered else None


def utilisation_table(scope: ReportScope) -> ReportTable:
    """Every satellite office open on some day of the year, and the total (2 queries)."""
    counts = {
        row["office"]: row
        for row in Slot.objects.filter(
            day__date__gte=scope.first_day,
            day__date__lte=scope.last_day,
            day__status=DayStatus.HELD,
        )
        .order_by()
        .values("office")
        .annotate(
            days=Count("day", distinct=True),
            offered=Count("pk", distinct=True),
            booked=Count("bookings", filter=Q(bookings__status__in=ACTIVE_BOOKING_STATUSES)),
            held=Count("bookings", filter=Q(bookings__status=BookingStatus.CHECKED_IN)),
            no_show=Count("bookings", filter=Q(bookings__status=BookingStatus.NO_SHOW)),
        )
    }
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
