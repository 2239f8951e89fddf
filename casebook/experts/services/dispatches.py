"""The dispatch state machine (docs/rules.md, "Expert dispatch"):

    draft -> requested -> approved -> scheduled -> completed -> closed
                     \\-> rejected     (any open state) -> cancelled

Approval reserves days under a lock on the program row (then the expert row), so the
quota, the sub-quota, the client's cap and the expert's maximum hold under concurrency.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.errors import ConflictError, TransitionNotAllowed, field_error
from casebook.common.japanese import normalize_text
from casebook.common.models import ensure_version, raise_if_errors, save_tracked
from casebook.experts import rules
from casebook.experts.models import (
    Dispatch,
    DispatchProgram,
    DispatchStatus,
    DispatchVisit,
    Expert,
    SubQuota,
)
from casebook.experts.policy import DispatchAction
from casebook.experts.policy import require as require_action
from casebook.experts.services.checks import (
    conflicts_seen_by,
    refuse_conflicts,
    refuse_over_capacity,
)
from casebook.intake import policy as case_policy
from casebook.intake.events import publish_case_event
from casebook.intake.models import Case, CaseStatus
from casebook.intake.services import case_dispatch_ended, case_dispatch_started, lock_case

TRANSITIONS: dict[str, frozenset[str]] = {
    "submit": frozenset({DispatchStatus.DRAFT}),
    "edit": frozenset({DispatchStatus.DRAFT, DispatchStatus.REQUESTED}),
    "approve": frozenset({DispatchStatus.REQUESTED}),
    "reject": frozenset({DispatchStatus.REQUESTED}),
    "schedule": frozenset({DispatchStatus.APPROVED, DispatchStatus.SCHEDULED}),
    "complete": frozenset({DispatchStatus.SCHEDULED}),
    "final_report": frozenset({DispatchStatus.SCHEDULED, DispatchStatus.COMPLETED}),
    "settle": frozenset({DispatchStatus.COMPLETED}),
    "cancel": frozenset(
        {
            DispatchStatus.DRAFT,
            DispatchStatus.REQUESTED,
            DispatchStatus.APPROVED,
            DispatchStatus.SCHEDULED,
        }
    ),
    "override_conflict": frozenset({DispatchStatus.DRAFT, DispatchStatus.REQUESTED}),
}
CASE_STATES_FOR_DISPATCH = frozenset({CaseStatus.ASSIGNED, CaseStatus.ACTIVE, CaseStatus.DISPATCH})


def ensure_transition(dispatch: Dispatch, action: str) -> None:
    if dispatch.status not in TRANSITIONS[action]:
        raise TransitionNotAllowed(current=dispatch.status, requested=action)


def _lock(dispatch: Dispatch) -> Dispatch:
    return (
        Dispatch.objects.select_for_update(of=("self",))
        .select_related("program", "program__desk", "sub_quota", "expert", "case", "case__client")
        .get(pk=dispatch.pk)
    )


def _lock_program(program_id: int) -> DispatchProgram:
    return DispatchProgram.objects.select_for_update().get(pk=program_id)


def _competitors(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.splitlines()
    cleaned = [normalize_text(v) for v in values]
    return list(dict.fromkeys(v for v in cleaned if v))


def _save(dispatch: Dispatch, *, by: User, fields: list[str], reason: str = "") -> None:
    save_tracked(dispatch, by=by, update_fields=fields, reason=reason)


def _validate_request(
    *,
    case: Case,
    program: DispatchProgram,
    sub_quota: SubQuota | None,
    expert: Expert,
    purpose: str,
    errors: dict[str, list[ValidationError]],
) -> None:
    if not program.active:
        errors.setdefault("program", []).append(
            ValidationError(_("the program is closed"), code="inactive")
        )
    if sub_quota is not None and sub_quota.program_id != program.pk:
        errors.setdefault("sub_quota", []).append(
            ValidationError(_("the sub-quota belongs to another program"), code="invalid")
        )
    if not (purpose or "").strip():
        errors.setdefault("purpose", []).append(
            ValidationError(_("say what the expert is to do"), code="required")
        )
    problem = rules.expert_available_problem(expert, timezone.localdate())
    if problem:
        errors.setdefault("expert", []).append(ValidationError(problem, code="unavailable"))
    for problem in rules.eligibility_problems(program, case.client):
        errors.setdefault("program", []).append(ValidationError(problem, code="not_eligible"))


@transaction.atomic
def dispatch_request(
    *,
    case: Case,
    program: DispatchProgram,
    expert: Expert,
    purpose: str,
    requested_days: Decimal | str | float,
    by: User,
    sub_quota: SubQuota | None = None,
    competitors: Iterable[str] | str | None = None,
    submit: bool = False,
) -> Dispatch:
    """Draft a dispatch for `case` (and submit it at once when `submit`).

    The case row is locked: a request racing the case's close waits for it and then sees the
    closed state, so no open draft is left on a closed case (docs/security.md, finding 12).
    """
    case = lock_case(case)
    case_policy.require(by, case_policy.Action.REQUEST_DISPATCH, case)
    if case.status not in CASE_STATES_FOR_DISPATCH:
        raise TransitionNotAllowed(
            current=case.status,
            requested="request_dispatch",
            message=_(
                "a dispatch can be requested for an assigned or active case, not one in "
                "state '%(state)s'"
            )
            % {"state": case.status},
        )
    errors: dict[str, list[ValidationError]] = {}
    try:
        days = rules.parse_days(requested_days)
    except ValidationError as error:
        errors.update(error.error_dict)
        days = None
    _validate_request(
        case=case,
        program=program,
        sub_quota=sub_quota,
        expert=expert,
        purpose=purpose,
        errors=errors,
    )
    raise_if_errors(errors)
    dispatch = Dispatch(
        case=case,
        program=program,
        sub_quota=sub_quota,
        expert=expert,
        purpose=purpose.strip(),
        competitors=_competitors(competitors),
        requested_days=days,
        day_rate_yen=expert.day_rate_yen,
        requested_by=by,
    )
    dispatch.copay_yen = rules.copay_yen(program, sub_quota, expert.day_rate_yen, days)
    save_tracked(dispatch, by=by)
    if submit:
        dispatch = dispatch_submit(dispatch=dispatch, by=by)
    return dispatch


@transaction.atomic
def dispatch_update(
    *,
    dispatch: Dispatch,
    by: User,
    expected_version: int | None = None,
    purpose: str | None = None,
    requested_days: Decimal | str | float | None = None,
    expert: Expert | None = None,
    sub_quota: SubQuota | bool | None = False,
    competitors: Iterable[str] | str | None = None,
) -> Dispatch:
    """Edit a draft or a pending request. Changing the expert drops a conflict override."""
    dispatch = _lock(dispatch)
    require_action(by, DispatchAction.EDIT, dispatch)
    ensure_transition(dispatch, "edit")
    ensure_version(dispatch, expected_version)
    errors: dict[str, list[ValidationError]] = {}
    fields: list[str] = []
    if purpose is not None:
        dispatch.purpose = purpose.strip()
        fields.append("purpose")
    if requested_days is not None:
        try:
            dispatch.requested_days = rules.parse_days(requested_days)
        except ValidationError as error:
            errors.update(error.error_dict)
        fields.append("requested_days")
    if expert is not None and expert.pk != dispatch.expert_id:
        dispatch.expert = expert
        dispatch.day_rate_yen = expert.day_rate_yen
        dispatch.conflict_override_reason = ""
        dispatch.conflict_overridden_by = None
        dispatch.conflict_overridden_at = None
        fields += [
            "expert",
            "day_rate_yen",
            "conflict_override_reason",
            "conflict_overridden_by",
            "conflict_overridden_at",
        ]
    if sub_quota is not False:
        dispatch.sub_quota = sub_quota or None
        fields.append("sub_quota")
    if competitors is not None:
        dispatch.competitors = _competitors(competitors)
        fields.append("competitors")
    _validate_request(
        case=dispatch.case,
        program=dispatch.program,
        sub_quota=dispatch.sub_quota,
        expert=dispatch.expert,
        purpose=dispatch.purpose,
        errors=errors,
    )
    raise_if_errors(errors)
    dispatch.copay_yen = rules.copay_yen(
        dispatch.program, dispatch.sub_quota, dispatch.day_rate_yen, dispatch.requested_days
    )
    _save(dispatch, by=by, fields=[*fields, "copay_yen"])
    return dispatch


@transaction.atomic
def dispatch_submit(
    *, dispatch: Dispatch, by: User, expected_version: int | None = None
) -> Dispatch:
    """Send the request to the program's desk; refused on a conflict of interest."""
    dispatch = _lock(dispatch)
    require_action(by, DispatchAction.EDIT, dispatch)
    ensure_transition(dispatch, "submit")
    ensure_version(dispatch, expected_version)
    for problem in rules.eligibility_problems(dispatch.program, dispatch.case.client):
        raise field_error("program", problem, "not_eligible")
    refuse_conflicts(dispatch, by=by)
    dispatch.status = DispatchStatus.REQUESTED
    dispatch.submitted_at = timezone.now()
    _save(dispatch, by=by, fields=["status", "submitted_at"])
    publish_case_event(dispatch.case, "dispatch_requested")
    return dispatch


@transaction.atomic
def dispatch_override_conflict(
    *, dispatch: Dispatch, by: User, reason: str, expected_version: int | None = None
) -> Dispatch:
    """A manager accepts a declared conflict of interest, in writing (kept in history)."""
    dispatch = _lock(dispatch)
    require_action(by, DispatchAction.OVERRIDE_CONFLICT, dispatch)
    ensure_transition(dispatch, "override_conflict")
    if not (reason or "").strip():
        raise field_error("reason", _("write why the conflict is acceptable"), "required")
    found = conflicts_seen_by(by, dispatch)
    if not found:
        raise ConflictError(_("there is no conflict of interest to override"), code="no_conflict")
    ensure_version(dispatch, expected_version)
    dispatch.conflict_override_reason = reason.strip()
    dispatch.conflict_overridden_by = by
    dispatch.conflict_overridden_at = timezone.now()
    _save(
        dispatch,
        by=by,
        fields=["conflict_override_reason", "conflict_overridden_by", "conflict_overridden_at"],
        reason=_("conflict of interest overridden (%(found)s): %(reason)s")
        % {"found": "; ".join(found), "reason": reason.strip()},
    )
    return dispatch


def _end_case_dispatch_if_idle(dispatch: Dispatch, *, by: User) -> None:
    still_out = (
        Dispatch.objects.filter(case_id=dispatch.case_id, status__in=rules.UNDER_WAY)
        .exclude(pk=dispatch.pk)
        .exists()
    )
    if not still_out:
        case_dispatch_ended(case=dispatch.case, by=by)


@transaction.atomic
def dispatch_approve(
    *,
    dispatch: Dispatch,
    by: User,
    days: Decimal | str | float | None = None,
    expected_version: int | None = None,
) -> Dispatch:
    """Reserve `days` (default: the requested days) and move the case to `dispatch`."""
    # Lock order everywhere: program, dispatch, expert, case.
    program = _lock_program(dispatch.program_id)
    dispatch = _lock(dispatch)
    require_action(by, DispatchAction.APPROVE, dispatch)
    ensure_transition(dispatch, "approve")
    ensure_version(dispatch, expected_version)
    approved = rules.parse_days(
        dispatch.requested_days if days in (None, "") else days, field="days"
    )
    if approved > dispatch.requested_days:
        raise field_error(
            "days",
            _("approve at most the %(days)s days requested") % {"days": dispatch.requested_days},
            "max_value",
        )
    for problem in rules.eligibility_problems(program, dispatch.case.client):
        raise field_error("program", problem, "not_eligible")
    refuse_conflicts(dispatch, by=by)
    expert = Expert.objects.select_for_update().get(pk=dispatch.expert_id)
    problem = rules.expert_available_problem(expert, timezone.localdate())
    if problem:
        raise field_error("expert", problem, "unavailable")
    refuse_over_capacity(dispatch, program, expert, approved)
    case = dispatch.case
    if case.status not in CASE_STATES_FOR_DISPATCH:
        raise TransitionNotAllowed(current=case.status, requested="dispatch_start")
    dispatch.status = DispatchStatus.APPROVED
    dispatch.approved_days = approved
    dispatch.decided_by = by
    dispatch.approved_at = timezone.now()
    dispatch.day_rate_yen = expert.day_rate_yen
    dispatch.copay_yen = rules.copay_yen(program, dispatch.sub_quota, expert.day_rate_yen, approved)
    _save(
        dispatch,
        by=by,
        fields=[
            "status",
            "approved_days",
            "decided_by",
            "approved_at",
            "day_rate_yen",
            "copay_yen",
        ],
    )
    case_dispatch_started(case=case, by=by)
    publish_case_event(case, "dispatch_approved")
    return dispatch


@transaction.atomic
def dispatch_reject(
    *, dispatch: Dispatch, by: User, reason: str, expected_version: int | None = None
) -> Dispatch:
    dispatch = _lock(dispatch)
    require_action(by, DispatchAction.REJECT, dispatch)
    ensure_transition(dispatch, "reject")
    if not (reason or "").strip():
        raise field_error("reason", _("say why the request is rejected"), "required")
    ensure_version(dispatch, expected_version)
    dispatch.status = DispatchStatus.REJECTED
    dispatch.decided_by = by
    dispatch.rejected_at = timezone.now()
    dispatch.decision_reason = reason.strip()
    _save(
        dispatch,
        by=by,
        fields=["status", "decided_by", "rejected_at", "decision_reason"],
        reason=reason.strip(),
    )
    publish_case_event(dispatch.case, "dispatch_rejected")
    return dispatch


def _days_visited(dispatch: Dispatch) -> Decimal:
    today = timezone.localdate()
    return sum((v.day_fraction for v in dispatch.visits.all() if v.date <= today), start=rules.ZERO)


@transaction.atomic
def dispatch_complete(
    *,
    dispatch: Dispatch,
    by: User,
    final_report: str = "",
    expected_version: int | None = None,
) -> Dispatch:
    """Book the days actually visited; the rest of the reservation goes back to the quota."""
    dispatch = _lock(dispatch)
    require_action(by, DispatchAction.COMPLETE, dispatch)
    ensure_transition(dispatch, "complete")
    today = timezone.localdate()
    if dispatch.visits.filter(date__gt=today).exists():
        raise ConflictError(
            _(
                "visits dated after today are still planned: unschedule them or wait until they "
                "have taken place"
            ),
            code="visits_pending",
        )
    ensure_version(dispatch, expected_version)
    used = _days_visited(dispatch)
    dispatch.status = DispatchStatus.COMPLETED
    dispatch.used_days = used
    dispatch.completed_at = timezone.now()
    dispatch.copay_yen = rules.copay_yen(
        dispatch.program, dispatch.sub_quota, dispatch.day_rate_yen, used
    )
    fields = ["status", "used_days", "completed_at", "copay_yen"]
    if final_report.strip():
        dispatch.final_report = final_report.strip()
        dispatch.final_report_at = timezone.now()
        fields += ["final_report", "final_report_at"]
    _save(dispatch, by=by, fields=fields)
    _end_case_dispatch_if_idle(dispatch, by=by)
    publish_case_event(dispatch.case, "dispatch_completed")
    return dispatch


@transaction.atomic
def dispatch_file_final_report(
    *, dispatch: Dispatch, by: User, text: str, expected_version: int | None = None
) -> Dispatch:
    dispatch = _lock(dispatch)
    require_action(by, DispatchAction.REPORT, dispatch)
    ensure_transition(dispatch, "final_report")
    if not (text or "").strip():
        raise field_error("final_report", _("write the final report"), "required")
    ensure_version(dispatch, expected_version)
    dispatch.final_report = text.strip()
    dispatch.final_report_at = timezone.now()
    _save(dispatch, by=by, fields=["final_report", "final_report_at"])
    return dispatch


@transaction.atomic
def dispatch_settle(
    *, dispatch: Dispatch, by: User, expected_version: int | None = None
) -> Dispatch:
    """The co-payment is settled and the expert paid: the dispatch is closed."""
    dispatch = _lock(dispatch)
    require_action(by, DispatchAction.SETTLE, dispatch)
    ensure_transition(dispatch, "settle")
    if not dispatch.final_report:
        raise ConflictError(
            _("the final report is missing: a dispatch is settled after it is filed"),
            code="final_report_missing",
        )
    ensure_version(dispatch, expected_version)
    dispatch.status = DispatchStatus.CLOSED
    dispatch.closed_at = timezone.now()
    _save(dispatch, by=by, fields=["status", "closed_at"])
    return dispatch


@transaction.atomic
def dispatch_cancel(
    *, dispatch: Dispatch, by: User, reason: str, expected_version: int | None = None
) -> Dispatch:
    """Cancel: visits already held stay booked as used days, planned ones are removed."""
    dispatch = _lock(dispatch)
    require_action(by, DispatchAction.CANCEL, dispatch)
    ensure_transition(dispatch, "cancel")
    if not (reason or "").strip():
        raise field_error("reason", _("say why the dispatch is cancelled"), "required")
    ensure_version(dispatch, expected_version)
    was_under_way = dispatch.status in rules.UNDER_WAY
    today = timezone.localdate()
    for visit in DispatchVisit.objects.filter(dispatch=dispatch, date__gt=today):
        visit._history_user = by
        visit._change_reason = reason.strip()
        visit.delete()
    dispatch.status = DispatchStatus.CANCELLED
    dispatch.cancelled_at = timezone.now()
    dispatch.decision_reason = reason.strip()
    fields = ["status", "cancelled_at", "decision_reason"]
    if dispatch.approved_days is not None:
        dispatch.used_days = _days_visited(dispatch)
        dispatch.copay_yen = rules.copay_yen(
            dispatch.program, dispatch.sub_quota, dispatch.day_rate_yen, dispatch.used_days
        )
    else:
        dispatch.copay_yen = 0
    fields += ["used_days", "copay_yen"]
    _save(dispatch, by=by, fields=fields, reason=reason.strip())
    if was_under_way:
        _end_case_dispatch_if_idle(dispatch, by=by)
    publish_case_event(dispatch.case, "dispatch_cancelled")
    return dispatch
