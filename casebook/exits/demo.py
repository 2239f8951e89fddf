"""Demo exit plans: about 20 yorozu cases on the exit track across the five paths, some with
milestones done, some overdue, orderly closures with their dates entered (one breaking a
legal deadline) and a few outcomes.

Runs after the core demo, through the services. The core demo flags its exit-track cases
before this app's service exists in its replay; those are put on the track here properly
(the flag lifted first, so that the service records the decision, makes the plan and its
milestones). Seeded once: a database that already holds plans gets none.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from casebook.common.demo import DemoContext
from casebook.exits import services
from casebook.exits.models import ExitPath, ExitPlan
from casebook.intake import services as case_services
from casebook.intake.models import Case, CaseStatus, Confidentiality

PLANS, QUICK_PLANS = 20, 4
PATHS = list(ExitPath.values)
REASONS = {
    "turnaround": "資金繰りが悪化し、金融機関との協議を含む経営改善が必要",
    "succession_family": "代表者が高齢で、親族への承継を検討",
    "succession_employee": "後継者候補は番頭格の従業員",
    "succession_third_party": "親族・従業員に後継者がおらず、第三者への譲渡を検討",
    "orderly_closure": "後継者不在のため、取引先への影響を抑えた廃業を希望",
}
RESUMED = "特別チームでの支援のため再開"


def seed(ctx: DemoContext) -> None:
    if ExitPlan.objects.exists():
        return
    lead = ctx.users.get("exit.lead")
    if lead is None:
        return
    wanted = QUICK_PLANS if ctx.quick else PLANS
    today = timezone.localdate()
    flagged = list(Case.objects.filter(on_exit_track=True).select_related("desk").order_by("pk"))
    # The core demo's placeholder flag: lifted, then put on the track through the service.
    Case.objects.filter(pk__in=[c.pk for c in flagged]).update(
        on_exit_track=False, confidentiality=Confidentiality.NORMAL
    )
    # Their sessions carry the case's confidentiality: lifted with it.
    case_services.sessions_follow_cases(cases=Case.objects.filter(pk__in=[c.pk for c in flagged]))
    others = list(
        Case.objects.filter(desk__code="yorozu", status__in=[CaseStatus.ACTIVE, CaseStatus.ON_HOLD])
        .filter(Q(topics__code__in=["succession", "closure"]))
        .exclude(pk__in=[c.pk for c in flagged])
        .exclude(lead_counselor__isnull=True)
        .distinct()
        .order_by("pk")[: max(wanted - len(flagged), 0)]
    )
    made = 0
    for n, case in enumerate([*flagged, *others][:wanted]):
        path = PATHS[n % len(PATHS)]
        case = Case.objects.get(pk=case.pk)
        closed = case.status == CaseStatus.CLOSED
        if closed:
            case = case_services.case_reopen(
                case=case, by=ctx.users["coord.yorozu"], reason=RESUMED
            )
        plan = services.exit_track_put_on(case=case, by=lead, path=path, reason=REASONS[path])
        if plan.case.lead_counselor_id != lead.pk and n >= len(flagged):
            plan.case = case_services.case_assign(
                case=plan.case, counselor=lead, by=lead, reason="特別チームが担当"
            )
        _progress(plan, n=n, today=today, by=lead)
        if closed:
            plan = services.exit_plan_update(
                plan=plan, by=lead, stage="done", outcome="continued", rechallenge_on=None
            )
            case_services.case_close(
                case=plan.case,
                by=lead,
                reason="resolved",
                summary="経営改善計画の実行により事業継続",
            )
        made += 1
    ctx.log(f"exit track: {made} plans ({len(flagged)} of them the core demo's exit-track cases)")


def _progress(plan: ExitPlan, *, n: int, today: dt.date, by) -> None:
    """Move the plan on: the first milestones done, some overdue, dates of a closure."""
    milestones = list(plan.milestones.order_by("order"))
    done = n % 4
    for milestone in milestones[:done]:
        services.milestone_update(
            milestone=milestone, by=by, due_on=today - dt.timedelta(days=40 - 10 * done)
        )
        services.milestone_complete(
            milestone=milestone, by=by, completed_on=today - dt.timedelta(days=30 - 5 * done)
        )
    if n % 3 == 0 and len(milestones) > done:  # an overdue one
        services.milestone_update(
            milestone=milestones[done], by=by, due_on=today - dt.timedelta(days=3 + n)
        )
    stage = ("diagnosis", "planning", "execution", "planning")[n % 4]
    fields: dict = {
        "stage": stage,
        "risk_flags": (["excess_debt"], ["personal_guarantee"], [])[n % 3],
    }
    if plan.path == ExitPath.ORDERLY_CLOSURE and n % 2 == 0:
        resolved = today - dt.timedelta(days=20)
        fields |= {"dissolution_resolved_on": resolved, "stage": "execution"}
        registration = next(m for m in milestones if m.code == "dissolution_registration")
        # One plan's registration planned a week too late: the dashboard flags it.
        late = 21 if n % 4 == 0 else 10
        services.milestone_update(
            milestone=registration, by=by, due_on=resolved + dt.timedelta(days=late)
        )
    services.exit_plan_update(plan=plan, by=by, **fields)
