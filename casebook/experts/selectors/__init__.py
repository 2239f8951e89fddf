"""Reads of the experts app, keyword-only, filtered by the experts policy
(`casebook.experts.policy`), never writing (docs/architecture.md, "Selectors"):

- `roster`: experts, their days taken, conflicts, calendars, the dispatch programs;
- `dispatches`: dispatches and visits, the requests waiting for a decision, late reports;
- `insights`: expert suggestions, the quota dashboard, the co-payment statement.

A getter answers 404 for what its reader may not see. Whoever shows a dispatch of a
restricted case records the read with `intake.services.access_log_record`.
"""

from __future__ import annotations

from casebook.experts.selectors.dispatches import (
    CASE_PAGE_JOINS,
    DISPATCH_JOINS,
    dispatch_get_for_user,
    dispatch_list_for_user,
    dispatches_of_case_for_user,
    dispatches_shown_with_case,
    late_final_reports_for_desk,
    late_visit_reports_for_desk,
    open_dispatch_blocker,
    pending_requests_for_user,
    program_desks_for_user,
    visit_get_for_user,
    visit_list_for_user,
)
from casebook.experts.selectors.insights import (
    QuotaLine,
    Suggestion,
    copay_rows,
    quota_dashboard,
    suggest_experts,
)
from casebook.experts.selectors.roster import (
    conflicts_of,
    expert_by_calendar_token,
    expert_fy_days,
    expert_get_for_user,
    expert_list_for_user,
    expert_search,
    program_get_for_user,
    program_list_for_user,
    program_years,
    programs_open_for_request,
    visits_of_expert,
    with_days_taken,
)

__all__ = [
    "CASE_PAGE_JOINS",
    "DISPATCH_JOINS",
    "QuotaLine",
    "Suggestion",
    "conflicts_of",
    "copay_rows",
    "dispatch_get_for_user",
    "dispatch_list_for_user",
    "dispatches_of_case_for_user",
    "dispatches_shown_with_case",
    "expert_by_calendar_token",
    "expert_fy_days",
    "expert_get_for_user",
    "expert_list_for_user",
    "expert_search",
    "late_final_reports_for_desk",
    "late_visit_reports_for_desk",
    "open_dispatch_blocker",
    "pending_requests_for_user",
    "program_desks_for_user",
    "program_get_for_user",
    "program_list_for_user",
    "program_years",
    "programs_open_for_request",
    "quota_dashboard",
    "suggest_experts",
    "visit_get_for_user",
    "visit_list_for_user",
    "visits_of_expert",
    "with_days_taken",
]
