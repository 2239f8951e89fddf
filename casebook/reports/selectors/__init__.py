"""Every read of the reports, filtered by `casebook.reports.policy` (docs/reports.md)."""

from casebook.reports.selectors.activities import (
    activity_counts_by_kind,
    activity_get_for_user,
    activity_list_for_user,
    activity_participants,
)
from casebook.reports.selectors.cases import case_report, report_cases
from casebook.reports.selectors.consultations import consultation_report, report_sessions
from casebook.reports.selectors.filters import ReportFilters
from casebook.reports.selectors.funders import FunderPack, funder_pack
from casebook.reports.selectors.operations import OperationsReport, operations_report
from casebook.reports.selectors.outcomes import (
    case_outcomes,
    outcome_get_for_user,
    outcome_list_for_user,
    outcome_report,
    report_outcomes,
)
from casebook.reports.selectors.plan import plan_report
from casebook.reports.selectors.satisfaction import (
    SatisfactionReport,
    SatisfactionSummary,
    report_surveys,
    satisfaction_report,
    satisfaction_summary,
)
from casebook.reports.selectors.sessions import (
    session_export_restricted_cases,
    session_export_rows,
)

__all__ = [
    "FunderPack",
    "OperationsReport",
    "ReportFilters",
    "SatisfactionReport",
    "SatisfactionSummary",
    "activity_counts_by_kind",
    "activity_get_for_user",
    "activity_list_for_user",
    "activity_participants",
    "case_outcomes",
    "case_report",
    "consultation_report",
    "funder_pack",
    "operations_report",
    "outcome_get_for_user",
    "outcome_list_for_user",
    "outcome_report",
    "plan_report",
    "report_cases",
    "report_outcomes",
    "report_sessions",
    "report_surveys",
    "satisfaction_report",
    "satisfaction_summary",
    "session_export_restricted_cases",
    "session_export_rows",
]
