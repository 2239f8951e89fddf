"""The figures other apps add to the reports (dispatch days and co-payments, satellite
utilisation, the exit track: docs/reports.md, "Operations"), read through the registry of
report sections so that the reports import none of those apps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from casebook.common.extensions import ReportScope, ReportSection, ReportTable, registry
from casebook.reports import policy
from casebook.reports.selectors.filters import ReportFilters

if TYPE_CHECKING:
    from casebook.accounts.models import User


@dataclass
class OperationsReport:
    filters: ReportFilters
    sections: list[tuple[ReportSection, list[ReportTable]]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fiscal_year": self.filters.fiscal_year,
            "fiscal_year_label": self.filters.label,
            "sections": [
                {
                    "key": section.key,
                    "title": str(section.title),
                    "organisation_wide": section.organisation_wide,
                    "tables": [table.as_dict() for table in tables],
                }
                for section, tables in self.sections
            ],
        }


def report_scope(*, user: User, filters: ReportFilters, organisation_wide: bool) -> ReportScope:
    """The period, and the desks: those `user` reads narrowed to the desk filter (None for
    every desk); an organisation-wide section covers every desk."""
    desk_ids = None if organisation_wide else policy.report_desk_ids(user)
    if not organisation_wide and filters.desk is not None:
        wanted = filters.desk.pk
        desk_ids = [wanted] if desk_ids is None or wanted in desk_ids else []
    return ReportScope(
        fiscal_year=filters.fiscal_year,
        first_day=filters.first_day,
        last_day=filters.last_day,
        desk_ids=None if desk_ids is None else frozenset(desk_ids),
    )


def operations_report(*, user: User, filters: ReportFilters) -> OperationsReport:
    """Each registered section the reader reads: organisation-wide ones for managers and
    auditors only. Each section's own queries (docs/reports.md, "Query budgets")."""
    policy.require_reader(user)
    report = OperationsReport(filters=filters)
    every_desk = policy.reads_every_desk(user)
    for section in registry.sections():
        if section.organisation_wide and not every_desk:
            continue
        scope = report_scope(
            user=user, filters=filters, organisation_wide=section.organisation_wide
        )
        report.sections.append((section, list(section.tables(scope))))
    return report
