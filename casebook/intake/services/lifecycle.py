"""Status transitions after assignment (docs/rules.md, "Case lifecycle"): hold, resume, close,
reopen, and the dispatch states the experts app moves a case through.

Each takes the version the caller last read (`expected_version`, None for none) and checks it
under the case row lock, next to the state machine and the role."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.errors import ConflictError
from casebook.common.extensions import registry
from casebook.common.models import ensure_version, raise_if_errors, save_tracked
from casebook.intake import policy
from casebook.intake.events import publish_case_event
from casebook.intake.models import Case, CaseStatus, ClosureReason, ConsultationSession
from casebook.intake.services.cases import lock_case, validate_choices
from casebook.intake.services.sessions import cases_follow_up_refresh
from casebook.intake.services.transitions import ensure_transition, record_transition


@transaction.atomic
def case_hold(
    *,
    case: Case,
    by: User,
    reason: str,
    resume_by: dt.date,
    expected_version: int | None = None,
) -> Case:
    case = lock_case(case)
    policy.require(by, policy.Action.HOLD, case)
    ensure_version(case, expected_version)
    ensure_transition(case, "hold")
    errors: dict[str, list[ValidationError]] = {}
    if not (reason or "").strip():
        errors["reason"] = [ValidationError(_("say why the case waits"), code="required")]
    if resume_by is None:
        errors["resume_by"] = [ValidationError(_("give a resume-by date"), code="required")]
    elif resume_by < timezone.localdate():
        errors["resume_by"] = [
            ValidationError(_("the resume-by date cannot be in the past"), code="past")
        ]
    raise_if_errors(errors)
    from_status = case.status
    case.status_before_hold = case.status
    case.status = CaseStatus.ON_HOLD
    case.hold_reason = reason.strip()
    case.resume_by = resume_by
    save_tracked(
        case,
        by=by,
        update_fields=["status", "status_before_hold", "hold_reason", "resume_by"],
        reason=reason,
    )
    record_transition(case, action="hold", from_status=from_status, by=by, reason=reason)
    publish_case_event(case, "held")
    return case


@transaction.atomic
def case_resume(*, case: Case, by: User, expected_version: int | None = None) -> Case:
    case = lock_case(case)
    policy.require(by, policy.Action.RESUME, case)
    ensure_version(case, expected_version)
    ensure_transition(case, "resume")
    case.status = case.status_before_hold or (
        CaseStatus.ACTIVE if case.first_session_at else CaseStatus.ASSIGNED
    )
    case.status_before_hold = ""
    case.hold_reason = ""
    case.resume_by = None
    save_tracked(
        case, by=by, update_fields=["status", "status_before_hold", "hold_reason", "resume_by"]
    )
    record_transition(case, action="resume", from_status=CaseStatus.ON_HOLD, by=by)
    publish_case_event(case, "resumed")
    return case


@transaction.atomic
def case_close(
    *,
    case: Case,
    by: User,
    reason: str,
    summary: str,
    duplicate_of: Case | None = None,
    expected_version: int | None = None,
) -> Case:
    """Close with a reason and a summary; a duplicate hands its sessions to the survivor.

    Both cases are locked (in id order, so two crossing merges wait instead of deadlocking)
    and the survivor must pass `policy.merge_refusal` under the lock.
    """
    if duplicate_of is not None and duplicate_of.pk != case.pk:
        first, second = sorted([case, duplicate_of], key=lambda c: c.pk)
        first, second = lock_case(first), lock_case(second)
        case, duplicate_of = (first, second) if first.pk == case.pk else (second, first)
    else:
        case = lock_case(case)
    policy.require(by, policy.Action.CLOSE, case)
    ensure_version(case, expected_version)
    ensure_transition(case, "close")
    errors: dict[str, list[ValidationError]] = {}
    if not reason:
        errors["reason"] = [ValidationError(_("choose a closure reason"), code="required")]
    else:
        validate_choices(errors, reason=(reason, ClosureReason))
    if not (summary or "").strip():
        errors["summary"] = [ValidationError(_("write a closure summary"), code="required")]
    if reason == ClosureReason.DUPLICATE:
        if duplicate_of is None:
            errors["duplicate_of"] = [
                ValidationError(_("name the case this one duplicates"), code="required")
            ]
        elif duplicate_of.pk == case.pk:
            errors["duplicate_of"] = [
                ValidationError(_("a case cannot duplicate itself"), code="invalid")
            ]
        elif duplicate_of.status == CaseStatus.CLOSED:
            errors["duplicate_of"] = [
                ValidationError(_("the surviving case is closed"), code="closed")
            ]
        elif refusal := policy.merge_refusal(by, case, duplicate_of):
            errors["duplicate_of"] = [ValidationError(refusal[1], code=refusal[0])]
    elif duplicate_of is not None:
        errors["duplicate_of"] = [
            ValidationError(_("only a duplicate names a surviving case"), code="invalid")
        ]
    raise_if_errors(errors)
    blockers = registry.close_blocker_messages(case)
    if blockers:
        raise ConflictError("; ".join(blockers), code="open_work")

    if duplicate_of is not None:
        _merge_into(case, duplicate_of, by=by)
    from_status = case.status
    case.status = CaseStatus.CLOSED
    case.closure_reason = reason
    case.closure_summary = summary.strip()
    case.duplicate_of = duplicate_of
    case.closed_at = timezone.now()
    case.hold_reason, case.resume_by, case.status_before_hold = "", None, ""
    save_tracked(
        case,
        by=by,
        update_fields=[
            "status",
            "closure_reason",
            "closure_summary",
            "duplicate_of",
            "closed_at",
            "hold_reason",
            "resume_by",
            "status_before_hold",
        ],
        reason=summary,
    )
    record_transition(
        case, action="close", from_status=from_status, by=by, reason=f"{reason}: {summary}"
    )
    publish_case_event(case, "closed")
    return case


def _merge_into(duplicate: Case, survivor: Case, *, by: User) -> None:
    moved = list(ConsultationSession.objects.filter(case=duplicate))
    for session in moved:
        session.case = survivor
        session.follow_case()
        save_tracked(
            session,
            by=by,
            update_fields=["case", "desk", "client", "case_confidentiality"],
            reason=_("merged from %s") % duplicate.number,
        )
    if moved:
        first = min(s.started_at for s in moved)
        if survivor.first_session_at is None or first < survivor.first_session_at:
            survivor.first_session_at = first
            save_tracked(survivor, by=by, update_fields=["first_session_at"])
        # The survivor's latest session may now be one of the duplicate's; the duplicate has none.
        cases_follow_up_refresh(case_ids=[survivor.pk, duplicate.pk], locked=True)
        publish_case_event(survivor, "merged")


@transaction.atomic
def case_reopen(*, case: Case, by: User, reason: str, expected_version: int | None = None) -> Case:
    case = lock_case(case)
    policy.require(by, policy.Action.REOPEN, case)
    ensure_version(case, expected_version)
    ensure_transition(case, "reopen")
    if not (reason or "").strip():
        raise ValidationError(
            {"reason": ValidationError(_("say why the case is reopened"), code="required")}
        )
    # A case closed straight from the queue has no lead yet: it goes back to the queue.
    case.status = CaseStatus.ACTIVE if case.lead_counselor_id else CaseStatus.INTAKE
    case.closure_reason, case.closure_summary, case.closed_at = "", "", None
    case.duplicate_of = None
    save_tracked(
        case,
        by=by,
        update_fields=["status", "closure_reason", "closure_summary", "closed_at", "duplicate_of"],
        reason=reason,
    )
    record_transition(case, action="reopen", from_status=CaseStatus.CLOSED, by=by, reason=reason)
    publish_case_event(case, "reopened")
    return case


@transaction.atomic
def case_dispatch_started(*, case: Case, by: User, expected_version: int | None = None) -> Case:
    """An approved dispatch moves the case to `dispatch` (called by the experts app)."""
    case = lock_case(case)
    ensure_version(case, expected_version)
    if case.status == CaseStatus.DISPATCH:
        return case
    ensure_transition(case, "dispatch_start")
    from_status = case.status
    case.status = CaseStatus.DISPATCH
    save_tracked(case, by=by, update_fields=["status"])
    record_transition(case, action="dispatch_start", from_status=from_status, by=by)
    publish_case_event(case, "dispatch_started", current=True)
    return case


@transaction.atomic
def case_dispatch_ended(*, case: Case, by: User, expected_version: int | None = None) -> Case:
    """No dispatch of the case is open any more: back to `active`."""
    case = lock_case(case)
    ensure_version(case, expected_version)
    if case.status != CaseStatus.DISPATCH:
        return case
    case.status = CaseStatus.ACTIVE
    save_tracked(case, by=by, update_fields=["status"])
    record_transition(case, action="dispatch_end", from_status=CaseStatus.DISPATCH, by=by)
    publish_case_event(case, "dispatch_ended")
    return case
