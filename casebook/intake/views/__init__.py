"""The server-rendered screens of cases, clients and sessions (one module per screen)."""

from casebook.intake.views.board import board, board_columns, board_more
from casebook.intake.views.cases import (
    CASE_TRANSITIONS,
    case_assign,
    case_desk_details,
    case_detail,
    case_edit,
    case_record,
    case_timeline,
    case_transition,
)
from casebook.intake.views.clients import (
    client_detail,
    client_edit,
    client_merge,
    client_personal_data,
    contact_edit,
    contact_new,
    postal_code_place,
)
from casebook.intake.views.home import home
from casebook.intake.views.intake import intake, intake_duplicates
from casebook.intake.views.search import search
from casebook.intake.views.sessions import session_edit, session_new

__all__ = [
    "CASE_TRANSITIONS",
    "board",
    "board_columns",
    "board_more",
    "case_assign",
    "case_desk_details",
    "case_detail",
    "case_edit",
    "case_record",
    "case_timeline",
    "case_transition",
    "client_detail",
    "client_edit",
    "client_merge",
    "client_personal_data",
    "contact_edit",
    "contact_new",
    "home",
    "intake",
    "intake_duplicates",
    "postal_code_place",
    "search",
    "session_edit",
    "session_new",
]
