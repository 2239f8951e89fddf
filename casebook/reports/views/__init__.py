"""The report screens and their exports (docs/reports.md), one module per report. Each asks
the policy through its selector; a login that reads no report gets 404."""

from casebook.reports.views.activities import (
    activity_detail,
    activity_edit,
    activity_list,
    activity_new,
    activity_participant_add,
    activity_participant_remove,
)
from casebook.reports.views.funders import funder_pack, funder_pack_xlsx
from casebook.reports.views.kpis import (
    EXPORTS,
    kpi_report,
    operations_report,
    plan_csv,
    plan_report,
    plan_xlsx,
    report_export,
    sessions_export,
)
from casebook.reports.views.outcomes import outcome_record, outcome_report
from casebook.reports.views.satisfaction import satisfaction_report

__all__ = [
    "EXPORTS",
    "activity_detail",
    "activity_edit",
    "activity_list",
    "activity_new",
    "activity_participant_add",
    "activity_participant_remove",
    "funder_pack",
    "funder_pack_xlsx",
    "kpi_report",
    "operations_report",
    "outcome_record",
    "outcome_report",
    "plan_csv",
    "plan_report",
    "plan_xlsx",
    "report_export",
    "satisfaction_report",
    "sessions_export",
]
