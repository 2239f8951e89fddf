"""Clients, cases, consultation sessions and their history (docs/rules.md).

Models hold fields and database invariants only; every rule that decides whether a change
is allowed lives in `services`, and who may see what in `policy.py`.
"""

from casebook.intake.models.cases import (
    DISPATCH_REQUEST_STATUSES,
    OPEN_STATUSES,
    SESSION_STATUSES,
    TRANSITION_LABELS,
    TRANSITIONS,
    Assignment,
    Case,
    CaseSequence,
    CaseShare,
    CaseStatus,
    CaseTransition,
    ClosureReason,
    Confidentiality,
    IntakeChannel,
    Priority,
)
from casebook.intake.models.clients import (
    CLIENT_INPUT_FIELDS,
    CONTACT_INPUT_FIELDS,
    Client,
    ClientContact,
    ClientKind,
    ClientOutcome,
    Industry,
    Topic,
)
from casebook.intake.models.desk_details import (
    GRACE_PERIOD_ALERT_DAYS,
    AdrState,
    DisputeType,
    GracePeriod,
    IpDetails,
    IpRight,
    SubcontractDetails,
    grace_period,
    grace_period_deadline,
)
from casebook.intake.models.sessions import (
    AccessLog,
    ConsultationSession,
    SessionAmendment,
    SessionMode,
)

__all__ = [
    "CLIENT_INPUT_FIELDS",
    "CONTACT_INPUT_FIELDS",
    "DISPATCH_REQUEST_STATUSES",
    "GRACE_PERIOD_ALERT_DAYS",
    "OPEN_STATUSES",
    "SESSION_STATUSES",
    "TRANSITIONS",
    "TRANSITION_LABELS",
    "AccessLog",
    "AdrState",
    "Assignment",
    "Case",
    "CaseSequence",
    "CaseShare",
    "CaseStatus",
    "CaseTransition",
    "Client",
    "ClientContact",
    "ClientKind",
    "ClientOutcome",
    "ClosureReason",
    "Confidentiality",
    "ConsultationSession",
    "DisputeType",
    "GracePeriod",
    "Industry",
    "IntakeChannel",
    "IpDetails",
    "IpRight",
    "Priority",
    "SessionAmendment",
    "SessionMode",
    "SubcontractDetails",
    "Topic",
    "grace_period",
    "grace_period_deadline",
]
