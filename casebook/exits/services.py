"""Every write of the exit track (docs/exits.md): putting a case on the track and taking it
off, its plan, the plan's milestones. Keyword-only, atomic, the row locked, the role and the
version checked, one history row per changed object, events published on commit.

A plan's milestones are made once, from the templates of its path, when the plan is made; a
case coming back to the track takes up its old plan and milestones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from casebook.accounts.models import User
from casebook.common.errors import ConflictError
from casebook.common.extensions import registry
from casebook.common.models import (
    REASON_LENGTH,
    ensure_version,
    lock_current,
    raise_if_errors,
    save_tracked,
)
from casebook.exits import policy
from casebook.exits.deadlines import statutory_deadlines
from casebook.exits.events import publish_plan_event
from casebook.exits.models import (
    CLOSURE_DATES,
    ELIGIBLE_TOPICS,
    ExitOutcome,
    ExitPath,
    ExitPlan,
    ExitStage,
    ExitTrackDecision,
    Milestone,
    MilestoneTemplate,
    RiskFlag,
    milestone_due,
)
from casebook.intake import services as case_services
from casebook.intake.events import publish_case_event
from casebook.intake.models import Case, Confidentiality

Errors = dict[str, list[ValidationError]]
EXIT_DESK = "yorozu"


def _add(errors: Errors, field: str, message: str, code: str) -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def _reason(errors: Errors, reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        _add(errors, "reason", _("say why (the decision is recorded with its reason)"), "required")
    return text


def _choice(errors: Errors, field: str, value: Any, choices: type) -> None:
    if value not in choices.values:
        _add(errors, field, _("“%s” is not one of the choices") % value, "invalid_choice")


def _risk_flags(errors: Errors, flags: Iterable[str] | None) -> list[str]:
    flags = list(flags or [])
    unknown = [flag for flag in flags if flag not in RiskFlag.values]
    if unknown:
        _add(errors, "risk_flags", _("unknown risk flags: %s") % ", ".join(unknown), "invalid")
    return [flag for flag in RiskFlag.values if flag in flags]


def _owner(errors: Errors, field: str, owner: User | None, allowed: Q, rule: str) -> None:
    """A field error unless `owner` (None: nobody yet) is one the policy lets own it."""
    if owner is not None and not User.objects.filter(allowed, pk=owner.pk).exists():
        _add(errors, field, rule, "owner")


def lock_plan(plan: ExitPlan) -> ExitPlan:
    return (
        ExitPlan.objects.select_for_update(no_key=True, of=("self",))
        .select_related("case__desk")
        .get(pk=plan.pk)
    )


def _announce(plan: ExitPlan, kind: str) -> None:
    """The desk board and the case page re-read the case, and the exit team's dashboards the
    plan, through the policy for each reader (ids only, after the commit)."""
    publish_case_event(plan.case, kind)
    publish_plan_event(plan.pk, kind)


# --- on and off the track -----------------------------------------------------------------


@transaction.atomic
def exit_track_put_on(
    *,
    case: Case,
    by: User,
    path: str,
    reason: str,
    owner: User | None = None,
    expected_version: int | None = None,
) -> ExitPlan:
    """Put `case` on the exit track: it becomes `restricted`, its referrals stop sharing its
    file, the decision is recorded with its reason, and its plan is made (with the
    milestones of `path`) or taken up again."""
    case = case_services.lock_case(case)
    policy.require(by, policy.PUT_ON, case)
    ensure_version(case, expected_version)
    errors: Errors = {}
    reason = _reason(errors, reason)
    _choice(errors, "path", path, ExitPath)
    if case.desk.code != EXIT_DESK:
        _add(errors, "case", _("only cases of the yorozu desk go on the exit track"), "desk")
    topics = set(case.topics.values_list("code", flat=True))
    if not topics & ELIGIBLE_TOPICS:
        _add(
            errors,
            "case",
            _("the case's topics must include management improvement, succession or closure"),
            "topics",
        )
    if owner is not None:
        _owner(errors, "owner", owner, policy.plan_owners_q(), str(policy.PLAN_OWNER_RULE))
    elif policy.may_own_plan(by):
        # Whoever puts the case on the track owns its plan when they are of the team; a
        # coordinator or a manager leaves it to the team to name one.
        owner = by
    raise_if_errors(errors)
    if case.on_exit_track:
        raise ConflictError(_("the case is already on the exit track"))
    if not case.is_open:
        raise ConflictError(_("a closed case does not go on the exit track"))
    before = case.confidentiality
    case.on_exit_track = True
    case.confidentiality = Confidentiality.RESTRICTED
    save_tracked(case, by=by, update_fields=["on_exit_track", "confidentiality"], reason=reason)
    case_services.sessions_follow_cases(cases=[case])
    registry.case_restricted(case)
    plan = ExitPlan.objects.select_for_update(no_key=True).filter(case=case).first()
    today = timezone.localdate()
    if plan is None:
        plan = ExitPlan(
            case=case,
            path=path,
            owner=owner,
            started_on=today,
            confidentiality_before=before,
        )
        save_tracked(plan, by=by, reason=reason)
        _make_milestones(plan, by=by, reason=reason)
    else:
        plan.on_track = True
        plan.path = path
        plan.confidentiality_before = before
        save_tracked(
            plan, by=by, update_fields=["on_track", "path", "confidentiality_before"], reason=reason
        )
    ExitTrackDecision.objects.create(case=case, on_track=True, path=path, reason=reason, by=by)
    plan.case = case
    _announce(plan, "exit_track_on")
    return plan


def _make_milestones(plan: ExitPlan, *, by: User, reason: str) -> None:
    """The plan's milestones from its path's templates: once, when the plan is made (the
    unique (plan, code) pair keeps a second set out)."""
    templates = MilestoneTemplate.objects.filter(path=plan.path, active=True).order_by(
        "order", "id"
    )
    bulk_create_with_history(
        [
            Milestone(
                plan=plan,
                code=template.code,
                name=template.name,
                order=template.order,
                owner_id=plan.owner_id,
                due_on=milestone_due(plan.started_on, template),
                statute=template.statute,
            )
            for template in templates
        ],
        Milestone,
        default_user=by,
        default_change_reason=reason[:REASON_LENGTH],
    )
    _recompute_deadlines(plan)


@transaction.atomic
def exit_track_take_off(
    *, plan: ExitPlan, by: User, reason: str, expected_version: int | None = None
) -> ExitPlan:
    """Take the plan's case off the exit track: the case gets back the confidentiality it had
    before (never `restricted`), the plan is kept, the decision recorded with its reason."""
    case = case_services.lock_case(plan.case)
    plan = lock_plan(plan)
    policy.require(by, policy.TAKE_OFF, case)
    ensure_version(plan, expected_version)
    errors: Errors = {}
    reason = _reason(errors, reason)
    raise_if_errors(errors)
    if not case.on_exit_track or not plan.on_track:
        raise ConflictError(_("the case is not on the exit track"))
    case.on_exit_track = False
    before = plan.confidentiality_before
    if before not in (Confidentiality.NORMAL, Confidentiality.CONFIDENTIAL):
        before = Confidentiality.NORMAL
    case.confidentiality = before
    save_tracked(case, by=by, update_fields=["on_exit_track", "confidentiality"], reason=reason)
    case_services.sessions_follow_cases(cases=[case])
    plan.on_track = False
    save_tracked(plan, by=by, update_fields=["on_track"], reason=reason)
    ExitTrackDecision.objects.create(case=case, on_track=False, reason=reason, by=by)
    plan.case = case
    _announce(plan, "exit_track_off")
    return plan


# --- the plan -------------------------------------------------------------------------------

PLAN_FIELDS = (
    "stage",
    "risk_flags",
    "owner",
    "outcome",
    "outcome_on",
    "rechallenge_on",
    *CLOSURE_DATES,
)


def _locked_for_work(plan: ExitPlan, by: User, expected_version: int | None) -> ExitPlan:
    plan = lock_plan(plan)
    policy.require(by, policy.EDIT, plan.case)
    ensure_version(plan, expected_version)
    if not plan.on_track:
        raise ConflictError(_("the case is no longer on the exit track"))
    return plan


@transaction.atomic
def exit_plan_update(
    *, plan: ExitPlan, by: User, expected_version: int | None = None, **fields: Any
) -> ExitPlan:
    """Change the plan's stage, risk flags, owner, outcome, re-challenge date or the dates of
    an orderly closure (its milestones' legal deadlines follow at once)."""
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"exit_plan_update() got unexpected fields {sorted(unknown)}")
    plan = _locked_for_work(plan, by, expected_version)
    errors: Errors = {}
    if "stage" in fields:
        _choice(errors, "stage", fields["stage"], ExitStage)
    if "risk_flags" in fields:
        fields["risk_flags"] = _risk_flags(errors, fields["risk_flags"])
    if fields.get("outcome"):
        _choice(errors, "outcome", fields["outcome"], ExitOutcome)
    elif "outcome" in fields:
        fields["outcome"] = ""
    changed = [name for name, value in fields.items() if getattr(plan, name) != value]
    for name in changed:
        setattr(plan, name, fields[name])
    if plan.outcome and plan.outcome_on is None:
        plan.outcome_on = timezone.localdate()
        changed.append("outcome_on")
    if not plan.outcome and plan.outcome_on is not None:
        plan.outcome_on = None
        changed.append("outcome_on")
    if "owner" in changed:
        _owner(errors, "owner", plan.owner, policy.plan_owners_q(), str(policy.PLAN_OWNER_RULE))
    _check_dates(errors, plan)
    raise_if_errors(errors)
    if not changed:
        return plan
    save_tracked(plan, by=by, update_fields=sorted(set(changed)))
    if set(changed) & set(CLOSURE_DATES):
        _recompute_deadlines(plan)
    _announce(plan, "exit_plan_updated")
    return plan


def _check_dates(errors: Errors, plan: ExitPlan) -> None:
    order = [
        ("dissolution_resolved_on", plan.dissolution_resolved_on),
        ("gazette_notice_on", plan.gazette_notice_on),
        ("liquidation_report_approved_on", plan.liquidation_report_approved_on),
    ]
    known = [(name, day) for name, day in order if day is not None]
    for (_first, earlier), (name, later) in pairwise(known):
        if later < earlier:
            _add(errors, name, _("this date comes before an earlier step of the closure"), "order")
    if (
        plan.dissolved_on
        and plan.dissolution_resolved_on
        and plan.dissolved_on < plan.dissolution_resolved_on
    ):
        _add(errors, "dissolved_on", _("a company dissolves on or after the resolution"), "order")
    if plan.rechallenge_on and plan.outcome_on and plan.rechallenge_on < plan.outcome_on:
        _add(
            errors,
            "rechallenge_on",
            _("the re-challenge follow-up comes after the outcome"),
            "order",
        )


def _recompute_deadlines(plan: ExitPlan) -> None:
    """Write each statutory milestone's legal deadline from the plan's dates, and the plan's
    count of milestones that break theirs."""
    deadlines = statutory_deadlines(**{name: getattr(plan, name) for name in CLOSURE_DATES})
    milestones = list(plan.milestones.exclude(statute=""))
    for milestone in milestones:
        deadline = deadlines.get(milestone.statute)
        new = (deadline.on, str(deadline.rule)) if deadline else (None, "")
        if (milestone.legal_deadline, milestone.deadline_rule) != new:
            milestone.legal_deadline, milestone.deadline_rule = new
            # Derived from the plan's dates, whose change the plan's history row records.
            Milestone.objects.filter(pk=milestone.pk).update(
                legal_deadline=new[0], deadline_rule=new[1]
            )
    _count_breaches(plan, milestones)


def _count_breaches(plan: ExitPlan, milestones: list[Milestone] | None = None) -> None:
    if milestones is None:
        milestones = list(plan.milestones.exclude(statute=""))
    breaches = sum(1 for milestone in milestones if milestone.breaks_deadline)
    if breaches != plan.deadline_breaches:
        plan.deadline_breaches = breaches
        ExitPlan.objects.filter(pk=plan.pk).update(deadline_breaches=breaches)


# --- milestones ----------------------------------------------------------------------------


def _locked_milestone(
    milestone: Milestone, by: User, expected_version: int | None
) -> tuple[ExitPlan, Milestone]:
    plan = _locked_for_work(milestone.plan, by, None)
    milestone = lock_current(milestone, expected_version)
    milestone.plan = plan
    return plan, milestone


def _save_milestone(plan: ExitPlan, milestone: Milestone, by: User, fields: list[str]) -> Milestone:
    save_tracked(milestone, by=by, update_fields=fields)
    if milestone.statute:
        _count_breaches(plan)
    _announce(plan, "exit_milestone_changed")
    return milestone


@transaction.atomic
def milestone_update(
    *,
    milestone: Milestone,
    by: User,
    expected_version: int | None = None,
    **fields: Any,
) -> Milestone:
    """Change a milestone's owner, due date or note."""
    unknown = set(fields) - {"owner", "due_on", "note"}
    if unknown:
        raise TypeError(f"milestone_update() got unexpected fields {sorted(unknown)}")
    plan, milestone = _locked_milestone(milestone, by, expected_version)
    if "note" in fields:
        fields["note"] = (fields["note"] or "").strip()
    changed = [name for name, value in fields.items() if getattr(milestone, name) != value]
    for name in changed:
        setattr(milestone, name, fields[name])
    if "owner" in changed:
        errors: Errors = {}
        allowed = policy.milestone_owners_q(plan.case)
        _owner(errors, "owner", milestone.owner, allowed, str(policy.MILESTONE_OWNER_RULE))
        raise_if_errors(errors)
    if not changed:
        return milestone
    return _save_milestone(plan, milestone, by, changed)


@transaction.atomic
def milestone_complete(
    *,
    milestone: Milestone,
    by: User,
    completed_on: dt.date | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Milestone:
    plan, milestone = _locked_milestone(milestone, by, expected_version)
    if milestone.completed_on is not None:
        raise ConflictError(_("the milestone is already complete"))
    completed_on = completed_on or timezone.localdate()
    if completed_on > timezone.localdate():
        raise_if_errors(
            {
                "completed_on": [
                    ValidationError(_("a milestone is not done in the future"), "future")
                ]
            }
        )
    milestone.completed_on = completed_on
    fields = ["completed_on"]
    if (note or "").strip():
        milestone.note = note.strip()
        fields.append("note")
    return _save_milestone(plan, milestone, by, fields)


@transaction.atomic
def milestone_reopen(
    *, milestone: Milestone, by: User, expected_version: int | None = None
) -> Milestone:
    plan, milestone = _locked_milestone(milestone, by, expected_version)
    if milestone.completed_on is None:
        raise ConflictError(_("the milestone is not complete"))
    milestone.completed_on = None
    return _save_milestone(plan, milestone, by, ["completed_on"])
