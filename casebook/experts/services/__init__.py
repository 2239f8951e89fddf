"""Writes of the experts app: the roster, dispatches and their visits."""

from casebook.experts.services.dispatches import (
    dispatch_approve,
    dispatch_cancel,
    dispatch_complete,
    dispatch_file_final_report,
    dispatch_override_conflict,
    dispatch_reject,
    dispatch_request,
    dispatch_settle,
    dispatch_submit,
    dispatch_update,
)
from casebook.experts.services.roster import (
    conflict_declare,
    conflict_withdraw,
    expert_create,
    expert_update,
)
from casebook.experts.services.visits import visit_file_report, visit_schedule, visit_unschedule

__all__ = [
    "conflict_declare",
    "conflict_withdraw",
    "dispatch_approve",
    "dispatch_cancel",
    "dispatch_complete",
    "dispatch_file_final_report",
    "dispatch_override_conflict",
    "dispatch_reject",
    "dispatch_request",
    "dispatch_settle",
    "dispatch_submit",
    "dispatch_update",
    "expert_create",
    "expert_update",
    "visit_file_report",
    "visit_schedule",
    "visit_unschedule",
]
