"""Who may see and do what on the exit track (docs/rules.md, "Exit track"), on top of the
case policy of `casebook.intake.policy`.

- A plan is seen by those who see its case and work the track: the exit team, the case's
  counselors and managers. (While the case is on the track it is `restricted`, so the case
  policy already leaves everyone else out; a plan kept after the case left the track stays
  theirs.)
- Putting a case on the track: a yorozu coordinator, the exit team or a manager
  (`intake.policy.Action.PUT_ON_EXIT_TRACK`); taking it off: the exit team or a manager.
- Working a plan and its milestones: the exit team, the case's counselors, managers.
- The team's dashboard: the exit team and managers.
- Who may be named owner: of a plan, an active member of the exit team (the team runs the
  plan); of a milestone, the exit team or one of the case's counselors (a step such as the
  partner referral may be the lead counselor's). Both see the restricted case, so an owner
  is never reminded of a case they may not open (`plan_owners_q`, `milestone_owners_q`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casebook.accounts.models import DeskRole, OrgRole
from casebook.common.errors import ActionNotPermitted
from casebook.intake import policy as case_policy

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.exits.models import ExitPlan
    from casebook.intake.models import Case

PUT_ON = "put_on_track"
TAKE_OFF = "take_off_track"
EDIT = "edit"
COMPLETE = "complete"
REOPEN = "reopen"

RULES = {
    PUT_ON: case_policy.RULES[case_policy.Action.PUT_ON_EXIT_TRACK],
    TAKE_OFF: _("only the exit team or a manager take a case off the exit track"),
    EDIT: _("only the exit team, the case's counselors or a manager work an exit plan"),
    "dashboard": _("only the exit team and managers see the exit team's dashboard"),
    "export": _("only the exit team and managers export the exit plans"),
    "access_log": _("only managers and auditors read the access log"),
}
PLAN_OWNER_RULE = _("the owner of an exit plan is an active member of the exit team")
MILESTONE_OWNER_RULE = _(
    "the owner of a milestone is an active member of the exit team or one of the case's counselors"
)


def _is_manager(user: User) -> bool:
    return user.org_role == OrgRole.MANAGER


def works_the_track(user: User) -> bool:
    """The exit team and managers: the dashboard, and every plan they may see."""
    if not user.is_authenticated or not user.is_active:
        return False
    return _is_manager(user) or case_policy.is_exit_team(user)


def visible_plans_q(user: User) -> Q:
    """A filter on ExitPlan for the plans `user` may see (see the module docstring)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if _is_manager(user):
        return Q()
    cases = case_policy.cases_visible_to(user)
    if not case_policy.is_exit_team(user):
        cases = cases.filter(Q(lead_counselor_id=user.pk) | Q(co_counselors__id=user.pk))
    return Q(case_id__in=cases.values("pk"))


def can_see_plan(user: User, plan: ExitPlan) -> bool:
    case = plan.case
    if not case_policy.can_see_case(user, case):
        return False
    return works_the_track(user) or case_policy.is_assigned(user, case)


def _exit_team_ids() -> Any:
    from casebook.accounts.models import DeskMembership

    return DeskMembership.objects.filter(
        role=DeskRole.EXIT_TEAM, active=True, desk__active=True
    ).values("user_id")


def plan_owners_q() -> Q:
    """A filter on User for who may own an exit plan (see the module docstring)."""
    return Q(is_active=True, pk__in=_exit_team_ids())


def may_own_plan(user: User) -> bool:
    """`plan_owners_q` for one user, from the memberships the policy already read."""
    return user.is_active and case_policy.is_exit_team(user)


def milestone_owners_q(case: Case) -> Q:
    """A filter on User for who may own a milestone of `case`'s plan."""
    counselors = Q(pk=case.lead_counselor_id) | Q(pk__in=case.co_counselors.values("pk"))
    return Q(is_active=True) & (Q(pk__in=_exit_team_ids()) | counselors)


def may_put_on_track(user: User, case: Case) -> bool:
    return case_policy.can(user, case_policy.Action.PUT_ON_EXIT_TRACK, case)


def _may_work(user: User, case: Case) -> bool:
    return works_the_track(user) or case_policy.is_assigned(user, case)


def offered_on_case(user: User, case: Case) -> frozenset[str]:
    """What the case page offers on the track: putting the case on it, taking it off."""
    offered: set[str] = set()
    if not case.on_exit_track and case.is_open and may_put_on_track(user, case):
        offered.add(PUT_ON)
    if case.on_exit_track and works_the_track(user):
        offered.add(TAKE_OFF)
    return frozenset(offered)


def offered_actions(user: User, plan: ExitPlan) -> frozenset[str]:
    """What the plan page offers `user`: `edit`, `complete` / `reopen` of milestones and
    `take_off_track` (the page computes this once; its templates test the names)."""
    offered = set(offered_on_case(user, plan.case)) - {PUT_ON}
    if plan.on_track and _may_work(user, plan.case):
        offered |= {EDIT, COMPLETE, REOPEN}
    return frozenset(offered)


def require(user: User, action: str, case: Case) -> None:
    """ActionNotPermitted (403 naming the rule) unless `user` may do `action` on `case`'s
    plan; the caller already checked that `user` sees the case."""
    allowed = {
        PUT_ON: may_put_on_track(user, case),
        TAKE_OFF: works_the_track(user),
        EDIT: _may_work(user, case),
        COMPLETE: _may_work(user, case),
        REOPEN: _may_work(user, case),
    }[action]
    if not allowed:
        raise ActionNotPermitted(str(RULES.get(action, RULES[EDIT])))


def require_dashboard(user: User) -> None:
    if not works_the_track(user):
        raise ActionNotPermitted(str(RULES["dashboard"]))


def require_export(user: User) -> None:
    """The plans and milestones CSV: the dashboard's readers, the exit team and managers."""
    if not works_the_track(user):
        raise ActionNotPermitted(str(RULES["export"]))


def may_read_access_log(user: User) -> bool:
    return case_policy.is_org_reader(user)


def require_access_log(user: User) -> None:
    if not may_read_access_log(user):
        raise ActionNotPermitted(str(RULES["access_log"]))


def names_restricted_cases(user: User) -> bool:
    """Whether the access log names the cases it lists (number and title) to `user`: only to
    those who see restricted cases; an auditor reads who read what, when and how, the case
    by its internal id only (docs/rules.md, "Visibility")."""
    return _is_manager(user)
