"""Every read of clients, cases and sessions: keyword-only, filtered by the policy, never
writing (docs/architecture.md, "Layers"). A getter answers 404 for what its reader may not
see; the access log of restricted cases is written by the caller
(`intake.services.access_log_record`)."""

from casebook.intake.selectors.board import (
    BoardColumn,
    board_column_more,
    board_columns,
    board_extras,
)
from casebook.intake.selectors.cases import (
    DeskDetails,
    GracePeriodAlert,
    case_desk_details,
    case_get_by_number_for_user,
    case_get_for_user,
    case_list_for_user,
    case_page_get_for_user,
    case_search,
    case_search_page,
    cases_matching,
    cases_of_client_for_user,
    client_outcomes_for_user,
    holds_due,
    ip_grace_period_alerts,
    my_open_cases,
    overdue_follow_ups,
)
from casebook.intake.selectors.clients import (
    MergePreview,
    client_duplicates,
    client_get_for_user,
    client_list_for_user,
    client_merge_preview,
    client_personal_data,
    client_search,
    clients_matching,
    contact_get_for_user,
    contact_list_for_user,
    personal_data_rows,
)
from casebook.intake.selectors.sessions import (
    session_get_for_user,
    session_list_for_user,
    session_page_get_for_user,
    sessions_matching,
)
from casebook.intake.selectors.timeline import case_timeline, case_timeline_page

__all__ = [
    "BoardColumn",
    "DeskDetails",
    "GracePeriodAlert",
    "MergePreview",
    "board_column_more",
    "board_columns",
    "board_extras",
    "case_desk_details",
    "case_get_by_number_for_user",
    "case_get_for_user",
    "case_list_for_user",
    "case_page_get_for_user",
    "case_search",
    "case_search_page",
    "case_timeline",
    "case_timeline_page",
    "cases_matching",
    "cases_of_client_for_user",
    "client_duplicates",
    "client_get_for_user",
    "client_list_for_user",
    "client_merge_preview",
    "client_outcomes_for_user",
    "client_personal_data",
    "client_search",
    "clients_matching",
    "contact_get_for_user",
    "contact_list_for_user",
    "holds_due",
    "ip_grace_period_alerts",
    "my_open_cases",
    "overdue_follow_ups",
    "personal_data_rows",
    "session_get_for_user",
    "session_list_for_user",
    "session_page_get_for_user",
    "sessions_matching",
]
