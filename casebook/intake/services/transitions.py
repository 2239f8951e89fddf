"""The two steps every transition service of a case takes: the state machine's check before
the change and the transition's row after it (docs/architecture.md, "Services")."""

from __future__ import annotations

from django.utils import timezone

from casebook.accounts.models import User
from casebook.common.errors import TransitionNotAllowed
from casebook.intake.models import TRANSITION_LABELS, TRANSITIONS, Case, CaseStatus, CaseTransition


def ensure_transition(case: Case, action: str) -> None:
    """TransitionNotAllowed (409) unless the state machine has `action` from the case's state."""
    if case.status not in TRANSITIONS[action]:
        raise TransitionNotAllowed.labelled(case.status, action, CaseStatus, TRANSITION_LABELS)


def record_transition(
    case: Case, *, action: str, from_status: str, by: User, reason: str = ""
) -> None:
    CaseTransition.objects.create(
        case=case,
        action=action,
        from_status=from_status,
        to_status=case.status,
        by=by,
        at=timezone.now(),
        reason=reason,
        closure_reason=case.closure_reason if case.status == CaseStatus.CLOSED else "",
    )
