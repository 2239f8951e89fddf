"""Clients, cases, consultation sessions and their history (DESIGN §3–4).

Models hold fields and database invariants only; every rule that decides whether a change
is allowed lives in `services`, and who may see what in `policy.py`.
"""

from casebook.intake.models.cases import (
    Assignment,
    Case,
    CaseSequence,
    CaseStatus,
    CaseTransition,
    ClosureReason,
    Confidentiality,
    IntakeChannel,
    Priority,
)
from casebook.intake.models.clients import (
    Client,
    ClientContact,
    ClientKind,
    ClientOutcome,
    Industry,
    Topic,
)
from casebook.intake.models.desk_details import (
    AdrState,
    DisputeType,
    IpDetails,
    IpRight,
    SubcontractDetails,
)
from casebook.intake.models.sessions import (
    AccessLog,
    ConsultationSession,
    SessionAmendment,
    SessionMode,
)

__all__ = [
    "AccessLog",
    "AdrState",
    "Assignment",
    "Case",
    "CaseSequence",
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
    "Industry",
    "IntakeChannel",
    "IpDetails",
    "IpRight",
    "Priority",
    "SessionAmendment",
    "SessionMode",
    "SubcontractDetails",
    "Topic",
]
