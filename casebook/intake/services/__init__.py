"""Every write to clients, cases and sessions goes through these functions."""

from casebook.intake.services.access_log import CaseRead, access_log_record
from casebook.intake.services.cases import (
    case_assign,
    case_open,
    case_share_grant,
    case_share_revoke,
    case_update,
    lock_case,
)
from casebook.intake.services.clients import client_create, client_merge, client_update
from casebook.intake.services.contacts import contact_create, contact_update
from casebook.intake.services.desk_details import ip_details_update, subcontract_details_update
from casebook.intake.services.intake import intake_take
from casebook.intake.services.lifecycle import (
    case_close,
    case_dispatch_ended,
    case_dispatch_started,
    case_hold,
    case_reopen,
    case_resume,
)
from casebook.intake.services.sessions import (
    case_moved,
    cases_follow_up_refresh,
    session_log,
    session_update,
    sessions_follow_cases,
)

__all__ = [
    "CaseRead",
    "access_log_record",
    "case_assign",
    "case_close",
    "case_dispatch_ended",
    "case_dispatch_started",
    "case_hold",
    "case_moved",
    "case_open",
    "case_reopen",
    "case_resume",
    "case_share_grant",
    "case_share_revoke",
    "case_update",
    "cases_follow_up_refresh",
    "client_create",
    "client_merge",
    "client_update",
    "contact_create",
    "contact_update",
    "intake_take",
    "ip_details_update",
    "lock_case",
    "session_log",
    "session_update",
    "sessions_follow_cases",
    "subcontract_details_update",
]
