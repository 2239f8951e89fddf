"""The steps of a dispatch (docs/rules.md, "Expert dispatch"; the state machine is
`experts.models.DISPATCH_TRANSITIONS`). Every step locks the row, checks the role, the state
and the version (`lock_for_step`), saves one history row and publishes on commit (`_save`).

Approval reserves days under a lock on the program row (then the expert row), so the
quota, the sub-quota, the client's cap and the expert's maximum hold under concurrency.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.common.errors import ConflictError, TransitionNotAllowed, field_error
from casebook.common.japanese import normalize_text
from casebook.common.models import (
    delete_tracked,
    ensure_version,
    lock_row,
    raise_if_errors,
    save_tracked,
)
from casebook.experts import rules
from casebook.experts.models import Dispatch, DispatchProgram, DispatchStatus, DispatchVisit, Expert
from casebook.experts.policy import DispatchAction, ensure_transition
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

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.experts.models import SubQuota

CASE_STATES_FOR_DISPATCH = frozenset({CaseStatus.ASSIGNED, CaseStatus.ACTIVE, CaseStatus.DISPATCH})


def _lock(dispatch: Dispatch) -> Dispatch:
    return (
        Dispatch.objects.select_for_update(no_key=True, of=("self",))
        .select_related(
            "program",
            "program__desk",
            "sub_quota",
            "expert",
            "case",
            "case__client",
            "case__desk",
        )
        .get(pk=dispatch.pk)
    )


def lock_for_step(
    dispatch: Dispatch,
    *,
    by: User,
    action: DispatchAction,
    step: str,
    expected_version: int | None = None,
) -> Dispatch:
    """The shared first steps of every dispatch service: the row locked (with what the
    services and the API's answer read), the role (403 naming the rule), the state machine
    (409 naming both states) and the version the caller read (412)."""
    dispatch = _lock(dispatch)
    require_action(by, action, dispatch)
    ensure_transition(dispatch, step)
    ensure_version(dispatch, expected_version)
    return dispatch


def dispatch_step(
    action: DispatchAction, step: str, *, lock_program: bool = False
) -> Callable[[Callable[..., Dispatch]], Callable[..., Dispatch]]:
    """Declare a step of a dispatch: the service is called
    `service(*, dispatch, by, expected_version=None, **arguments)` and, in one transaction,
    locks the row (after its program's when `lock_program`: the lock order of every quota
    check is program, dispatch, expert, case), checks the grant `action`, the `step` of the
    state machine and the version (`lock_for_step`), then runs the decorated body with the
    locked dispatch. The body checks its own rules and ends with `_save`."""

    def decorate(body: Callable[..., Dispatch]) -> Callable[..., Dispatch]:
        @functools.wraps(body)
        @transaction.atomic
        def service(
            *, dispatch: Dispatch, by: User, expected_version: int | None = None, **arguments: Any
        ) -> Dispatch:
            if lock_program:
                _lock_program(dispatch.program_id)
            locked = lock_for_step(
                dispatch, by=by, action=action, step=step, expected_version=expected_version
            )
            return body(locked, by=by, **arguments)

        return service

    return decorate


def _save(
    dispatch: Dispatch, *, by: User, fields: list[str], reason: str = "", event: str = ""
) -> Dispatch:
    """The shared last steps: one history row, then the case event (sent on commit)."""
    save_tracked(dispatch, by=by, update_fields=fields, reason=reason)
    if event:
        publish_case_event(dispatch.case, event)
    return dispatch


def _required_text(value: str | None, *, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise field_error(field, message, "required")
    return text


def _lock_program(program_id: int) -> DispatchProgram:
    return lock_row(DispatchProgram, program_id)


def _competitors(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.splitlines()
    cleaned = [normalize_text(v) for v in values]
    return list(dict.fromkeys(v for v in cleaned if v))


def _request_errors(dispatch: Dispatch, errors: dict[str, list[ValidationError]]) -> None:
    """What is wrong with a request as it stands, new or edited, by field."""
    program, sub_quota, expert = dispatch.program, dispatch.sub_quota, dispatch.expert
    if not program.active:
        errors.setdefault("program", []).append(
            ValidationError(_("the program is closed"), code="inactive")
        )
    if sub_quota is not None and sub_quota.program_id != program.pk:
        errors.setdefault("sub_quota", []).append(
            ValidationError(_("the sub-quota belongs to another program"), code="invalid")
        )
    if not dispatch.purpose:
        errors.setdefault("purpose", []).append(
            ValidationError(_("say what the expert is to do"), code="required")
        )
    problem = rules.expert_available_problem(expert, timezone.localdate())
    if problem:
        errors.setdefault("expert", []).append(ValidationError(problem, code="unavailable"))
    for problem in rules.eligibility_problems(program, dispatch.case.client):
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
    dispatch = Dispatch(
        case=case,
        program=program,
        sub_quota=sub_quota,
        expert=expert,
        purpose=(purpose or "").strip(),
        competitors=_competitors(competitors),
        requested_days=days,
        day_rate_yen=expert.day_rate_yen,
        requested_by=by,
    )
    _request_errors(dispatch, errors)
    raise_if_errors(errors)
    dispatch.copay_yen = rules.copay_yen(program, sub_quota, expert.day_rate_yen, days)
    save_tracked(dispatch, by=by)
    if submit:
        dispatch = dispatch_submit(dispatch=dispatch, by=by)
    return dispatch


@dispatch_step(DispatchAction.EDIT, "edit")
def dispatch_update(
    dispatch: Dispatch,
    *,
    by: User,
    purpose: str | None = None,
    requested_days: Decimal | str | float | None = None,
    expert: Expert | None = None,
    sub_quota: SubQuota | bool | None = False,
    competitors: Iterable[str] | str | None = None,
) -> Dispatch:
    """Edit a draft or a pending request. Changing the expert drops a conflict override."""
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
    _request_errors(dispatch, errors)
    raise_if_errors(errors)
    dispatch.copay_yen = rules.copay_yen(
        dispatch.program, dispatch.sub_quota, dispatch.day_rate_yen, dispatch.requested_days
    )
    return _save(dispatch, by=by, fields=[*fields, "copay_yen"])


@dispatch_step(DispatchAction.EDIT, "submit")
def dispatch_submit(dispatch: Dispatch, *, by: User) -> Dispatch:
    """Send the request to the program's desk; refused on a conflict of interest."""
    for problem in rules.eligibility_problems(dispatch.program, dispatch.case.client):
        raise field_error("program", problem, "not_eligible")
    refuse_conflicts(dispatch, by=by)
    dispatch.status = DispatchStatus.REQUESTED
    dispatch.submitted_at = timezone.now()
    return _save(dispatch, by=by, fields=["status", "submitted_at"], event="dispatch_requested")


@dispatch_step(DispatchAction.OVERRIDE_CONFLICT, "override_conflict")
def dispatch_override_conflict(dispatch: Dispatch, *, by: User, reason: str) -> Dispatch:
    """A manager accepts a declared conflict of interest, in writing (kept in history)."""
    reason = _required_text(
        reason, field="reason", message=_("write why the conflict is acceptable")
    )
    found = conflicts_seen_by(by, dispatch)
    if not found:
        raise ConflictError(_("there is no conflict of interest to override"), code="no_conflict")
    dispatch.conflict_override_reason = reason
    dispatch.conflict_overridden_by = by
    dispatch.conflict_overridden_at = timezone.now()
    return _save(
        dispatch,
        by=by,
        fields=["conflict_override_reason", "conflict_overridden_by", "conflict_overridden_at"],
        reason=_("conflict of interest overridden (%(found)s): %(reason)s")
        % {"found": "; ".join(found), "reason": reason},
    )


def _end_case_dispatch_if_idle(dispatch: Dispatch, *, by: User) -> None:
    still_out = (
        Dispatch.objects.filter(case_id=dispatch.case_id, status__in=rules.UNDER_WAY)
        .exclude(pk=dispatch.pk)
        .exists()
    )
    if not still_out:
        case_dispatch_ended(case=dispatch.case, by=by)


@dispatch_step(DispatchAction.APPROVE, "approve", lock_program=True)
def dispatch_approve(
    dispatch: Dispatch, *, by: User, days: Decimal | str | float | None = None
) -> Dispatch:
    """Reserve `days` (default: the requested days) and move the case to `dispatch`."""
    program = dispatch.program
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
    expert = lock_row(Expert, dispatch.expert_id)
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
    fields = ["status", "approved_days", "decided_by", "approved_at", "day_rate_yen", "copay_yen"]
    save_tracked(dispatch, by=by, update_fields=fields)
    # The case as the transaction leaves it (locked and saved): the event takes its columns
    # from it (docs/performance.md, "Session create and dispatch approve").
    case = case_dispatch_started(case=case, by=by)
    publish_case_event(case, "dispatch_approved", current=True)
    return dispatch


@dispatch_step(DispatchAction.REJECT, "reject")
def dispatch_reject(dispatch: Dispatch, *, by: User, reason: str) -> Dispatch:
    reason = _required_text(reason, field="reason", message=_("say why the request is rejected"))
    dispatch.status = DispatchStatus.REJECTED
    dispatch.decided_by = by
    dispatch.rejected_at = timezone.now()
    dispatch.decision_reason = reason
    return _save(
        dispatch,
        by=by,
        fields=["status", "decided_by", "rejected_at", "decision_reason"],
        reason=reason,
        event="dispatch_rejected",
    )


def _days_visited(dispatch: Dispatch) -> Decimal:
    today = timezone.localdate()
    return sum((v.day_fraction for v in dispatch.visits.all() if v.date <= today), start=rules.ZERO)


@dispatch_step(DispatchAction.COMPLETE, "complete")
def dispatch_complete(dispatch: Dispatch, *, by: User, final_report: str = "") -> Dispatch:
    """Book the days actually visited; the rest of the reservation goes back to the quota."""
    today = timezone.localdate()
    if dispatch.visits.filter(date__gt=today).exists():
        raise ConflictError(
            _(
                "visits dated after today are still planned: unschedule them or wait until they "
                "have taken place"
            ),
            code="visits_pending",
        )
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
    save_tracked(dispatch, by=by, update_fields=fields)
    _end_case_dispatch_if_idle(dispatch, by=by)
    publish_case_event(dispatch.case, "dispatch_completed")
    return dispatch


@dispatch_step(DispatchAction.REPORT, "final_report")
def dispatch_file_final_report(dispatch: Dispatch, *, by: User, text: str) -> Dispatch:
    dispatch.final_report = _required_text(
        text, field="final_report", message=_("write the final report")
    )
    dispatch.final_report_at = timezone.now()
    return _save(dispatch, by=by, fields=["final_report", "final_report_at"])


@dispatch_step(DispatchAction.SETTLE, "settle")
def dispatch_settle(dispatch: Dispatch, *, by: User) -> Dispatch:
    """The co-payment is settled and the expert paid: the dispatch is closed."""
    if not dispatch.final_report:
        raise ConflictError(
            _("the final report is missing: a dispatch is settled after it is filed"),
            code="final_report_missing",
        )
    dispatch.status = DispatchStatus.CLOSED
    dispatch.closed_at = timezone.now()
    return _save(dispatch, by=by, fields=["status", "closed_at"])


@dispatch_step(DispatchAction.CANCEL, "cancel")
def dispatch_cancel(dispatch: Dispatch, *, by: User, reason: str) -> Dispatch:
    """Cancel: visits already held stay booked as used days, planned ones are removed."""
    reason = _required_text(reason, field="reason", message=_("say why the dispatch is cancelled"))
    was_under_way = dispatch.status in rules.UNDER_WAY
    today = timezone.localdate()
    for visit in DispatchVisit.objects.filter(dispatch=dispatch, date__gt=today):
        delete_tracked(visit, by=by, reason=reason)
    dispatch.status = DispatchStatus.CANCELLED
    dispatch.cancelled_at = timezone.now()
    dispatch.decision_reason = reason
    fields = ["status", "cancelled_at", "decision_reason"]
    if dispatch.approved_days is not None:
        dispatch.used_days = _days_visited(dispatch)
        dispatch.copay_yen = rules.copay_yen(
            dispatch.program, dispatch.sub_quota, dispatch.day_rate_yen, dispatch.used_days
        )
    else:
        dispatch.copay_yen = 0
    fields += ["used_days", "copay_yen"]
    save_tracked(dispatch, by=by, update_fields=fields, reason=reason)
    if was_under_way:
        _end_case_dispatch_if_idle(dispatch, by=by)
    publish_case_event(dispatch.case, "dispatch_cancelled")
    return dispatch
