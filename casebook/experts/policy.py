"""Who may see which dispatch and act on it, on top of the case policy (docs/rules.md,
"Expert dispatch"; docs/architecture.md, "The policy authority").

The one place that answers these questions for the experts app; views, the API, the
templates and the services ask here:

- visibility: an expert login sees only the dispatches of its own Expert record, never the
  case file; staff see the dispatches of cases they may see, and a coordinator of a
  program's desk sees that program's dispatches (not the case file); of a restricted case
  (the exit track) only from the request on, and without its number: the approvers decide
  from the request alone (purpose, days, expert, client), need to know (docs/exits.md,
  "Dispatches on the exit track"; `visible_dispatches_q` / `dispatches_visible_to`,
  `case_named_q`);
- actions: `can` / `require` (403 naming the rule) and `offered_actions(user, dispatch)`,
  what a screen offers (the role allows it and the dispatch's state has it),
  `require_offered` (403 naming the rule, 409 naming the states), `visit_actions` (what a
  row of the visits table offers), `can_attach_to_visit` (files on a visit report);
- the roster, the quota dashboard and the calendar feed: `can_see_roster`,
  `can_manage_roster`, `can_declare_conflicts`, `can_see_quota`, `can_see_calendar_feed`,
  and the program desks a login decides for (`decides_for_every_program`,
  `program_desk_ids`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Exists, Q, QuerySet, Value
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.accounts.models import DeskRole, OrgRole
from casebook.common.errors import ActionNotPermitted, TransitionNotAllowed
from casebook.experts.models import DISPATCH_ACTION_LABELS, DISPATCH_TRANSITIONS, DispatchStatus
from casebook.intake import policy as case_policy

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.experts.models import Dispatch, DispatchVisit, Expert
    from casebook.intake.models import Case

# Desks that own dispatch programs; their coordinators keep the expert roster.
ROSTER_DESKS = ("dispatch", "ip")


class DispatchAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    COMPLETE = "complete"
    CANCEL = "cancel"
    SETTLE = "settle"
    OVERRIDE_CONFLICT = "override_conflict"
    SCHEDULE = "schedule"
    REPORT = "report"
    EDIT = "edit"


RULES: dict[DispatchAction, str] = {
    DispatchAction.APPROVE: gettext_lazy(
        "only a coordinator of the program's desk or a manager approves"
    ),
    DispatchAction.REJECT: gettext_lazy(
        "only a coordinator of the program's desk or a manager rejects"
    ),
    DispatchAction.COMPLETE: gettext_lazy(
        "only a coordinator of the program's desk or a manager completes"
    ),
    DispatchAction.CANCEL: gettext_lazy(
        "only a coordinator of the program's desk, a manager or the requester cancels"
    ),
    DispatchAction.SETTLE: gettext_lazy(
        "only a coordinator of the program's desk or a manager settles"
    ),
    DispatchAction.OVERRIDE_CONFLICT: gettext_lazy(
        "only a manager overrides a conflict of interest"
    ),
    DispatchAction.SCHEDULE: gettext_lazy(
        "only the expert, a coordinator of the program's desk or a manager schedules visits"
    ),
    DispatchAction.REPORT: gettext_lazy(
        "only the dispatched expert or a coordinator of the program's desk files visit reports"
    ),
    DispatchAction.EDIT: gettext_lazy("only the requester edits a draft"),
}


def expert_of(user: User) -> Expert | None:
    """The Expert record a login is tied to, or None (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_casebook_expert"):
        from casebook.experts.models import Expert

        user._casebook_expert = Expert.objects.filter(user_id=user.pk).first()
    return user._casebook_expert


def is_expert_login(user: User) -> bool:
    return expert_of(user) is not None


def program_desk_ids(user: User, role: str = DeskRole.COORDINATOR) -> list[int]:
    return [desk_id for desk_id, roles in case_policy.desk_roles(user).items() if role in roles]


def decides_for_every_program(user: User) -> bool:
    """A manager approves, rejects and watches the dispatches of every program's desk; a
    coordinator those of the desks they coordinate (`program_desk_ids`)."""
    return user.org_role == OrgRole.MANAGER


def _expert_states() -> tuple[str, ...]:
    """The states in which the dispatched expert sees a dispatch: from its approval on. A
    draft, a pending request or a rejected one (client, address, declared competitors) stays
    with the staff until the conflict check and the approval passed (docs/security.md,
    finding 4)."""
    from casebook.experts.models import DispatchStatus

    return (
        DispatchStatus.APPROVED,
        DispatchStatus.SCHEDULED,
        DispatchStatus.COMPLETED,
        DispatchStatus.CLOSED,
    )


def visible_dispatches_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if hasattr(user, "_casebook_expert"):
        expert = user._casebook_expert
        if expert is not None:
            return Q(expert_id=expert.pk, status__in=_expert_states())
        return _staff_dispatches_q(user)
    from casebook.experts.models import Expert

    # Whether the login is an expert's is asked inside the same query: a staff page that lists
    # dispatches costs no query of its own for it.
    is_expert = Exists(Expert.objects.filter(user_id=user.pk))
    return Q(expert__user_id=user.pk, status__in=_expert_states()) | (
        ~Q(is_expert) & _staff_dispatches_q(user)
    )


def _staff_dispatches_q(user: User) -> Q:
    """Staff see the dispatches of the cases they may see, and a program desk's coordinators
    that program's dispatches: of a restricted case once it is requested (a draft is the
    requester's own, and nothing the approvers need yet)."""
    from casebook.experts.models import DispatchStatus

    # The rule read on each dispatch's own case row (joined): `case_id IN (every visible
    # case)` read every case of the reader's desks to decide one dispatch (200 ms of a
    # dispatch page or an approval on the decade; docs/performance.md, "Session create and
    # dispatch approve").
    condition = _case_row_visible_q(user)
    desks = program_desk_ids(user)
    if desks:
        condition |= Q(program__desk_id__in=desks) & (
            ~case_policy.restricted_q("case__") | ~Q(status=DispatchStatus.DRAFT)
        )
    return condition


def case_named_q(user: User) -> Q:
    """A filter on Dispatch: whether its pages, rows and exports name its case (number, link)
    to `user`. A case that is not restricted is named as before; a restricted one only to
    those who see its file (the exit team, its counselors, managers), never to the program's
    coordinators or the expert, who see the dispatch without it."""
    return ~case_policy.restricted_q("case__") | _case_row_visible_q(user)


def _case_row_visible_q(user: User) -> Q:
    """`visible_cases_q` on the dispatch's own case row. A manager's rule is empty (every
    case), and an empty Q vanishes from an OR, so it is written as a condition every
    dispatch meets."""
    visible = case_policy.visible_cases_q(user, prefix="case__")
    return visible if visible else Q(case_id__isnull=False)


def visible_dispatches_of_case(user: User, case: Case) -> tuple[Q, Q | Value]:
    """The filter and the `case_named` note of the dispatches of `case` that `user` may see:
    `visible_dispatches_q` and `case_named_q` narrowed to one case. When `user` sees the case
    file (asked of the loaded case: no query), every staff branch of the rule passes for each
    of its dispatches and every one names the case, so neither needs the visible-cases
    subqueries, whose planning was most of the case page's dispatch read (docs/performance.md,
    "The case page"). An expert's login keeps its own branch either way
    (`seen_case_dispatches_q`)."""
    if not case_policy.can_see_case(user, case):
        return Q(case_id=case.pk) & visible_dispatches_q(user), case_named_q(user)
    return seen_case_dispatches_q(case.pk, *seen_case_reader(user)), Value(True)


# How the narrowed rule of a seen case tells its readers apart (`seen_case_reader`).
SEEN_CASE_READERS = ("asked", "expert", "staff")


def seen_case_reader(user: User) -> tuple[str, int | None]:
    """Which branch of the narrowed rule of a case `user` sees applies to `user`, and the id it
    reads: a login already known to be an expert's (`expert_of` asked earlier in the request),
    `("expert", its Expert's id)`; one known to be no expert's, `("staff", None)`; one not
    asked yet, `("asked", the login's id)`, whose statement asks. The rule's shape is the
    branch's alone, the id a value of it: the case page compiles each branch's statement once
    (`experts.selectors.dispatches_shown_with_case`; docs/performance.md, "The case page's
    reads compiled once")."""
    if hasattr(user, "_casebook_expert"):
        expert = user._casebook_expert
        return ("expert", expert.pk) if expert is not None else ("staff", None)
    return ("asked", user.pk)


def seen_case_dispatches_q(case_id: int, reader: str, who: int | None) -> Q:
    """The dispatches of a case the reader sees that the reader may see, for the branch and id
    `seen_case_reader` gives: an expert only its own from their approval on, staff every
    one."""
    if reader == "expert":
        return Q(case_id=case_id) & Q(expert_id=who, status__in=_expert_states())
    if reader == "staff":
        return Q(case_id=case_id) & Q()
    from casebook.experts.models import Expert

    is_expert = Exists(Expert.objects.filter(user_id=who))
    own = Q(expert__user_id=who, status__in=_expert_states())
    return Q(case_id=case_id) & (own | ~Q(is_expert))


def feed_names_case(dispatch: Dispatch) -> bool:
    """An expert's calendar feed names the case of a dispatch unless it is restricted (the
    expert never sees a restricted case's file)."""
    return not case_policy.is_restricted(dispatch.case)


def dispatches_visible_to(user: User, queryset: QuerySet[Dispatch] | None = None) -> QuerySet:
    from casebook.experts.models import Dispatch

    base = Dispatch.objects.all() if queryset is None else queryset
    return base.filter(visible_dispatches_q(user))


def can_see_dispatch(user: User, dispatch: Dispatch) -> bool:
    """May `user` see `dispatch` at all (and so be told its client in a conflict message)?"""
    return dispatches_visible_to(user).filter(pk=dispatch.pk).exists()


def can_see_competitors(user: User, dispatch: Dispatch) -> bool:
    """The competitors the client declared for `dispatch` (the companies it fears, often an
    unpublished business plan in itself): the coordinators of the case's desk and managers
    only, never the expert (even once approved) nor the program desk's staff
    (docs/security.md, "Leftovers found after the review": declared competitors)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.org_role == OrgRole.MANAGER:
        return True
    if expert_of(user) is not None:
        return False
    roles = case_policy.desk_roles(user).get(dispatch.case.desk_id, set())
    return DeskRole.COORDINATOR in roles


def _held(user: User, dispatch: Dispatch) -> set[str]:
    held: set[str] = set()
    if user.org_role == OrgRole.MANAGER:
        held.add("manager")
    if DeskRole.COORDINATOR in case_policy.desk_roles(user).get(dispatch.program.desk_id, set()):
        held.add("program_coordinator")
    if dispatch.requested_by_id == user.pk:
        held.add("requester")
    expert = expert_of(user)
    if expert is not None and expert.pk == dispatch.expert_id:
        held.add("own_expert")
    return held


GRANTS: dict[DispatchAction, frozenset[str]] = {
    DispatchAction.APPROVE: frozenset({"program_coordinator", "manager"}),
    DispatchAction.REJECT: frozenset({"program_coordinator", "manager"}),
    DispatchAction.COMPLETE: frozenset({"program_coordinator", "manager"}),
    DispatchAction.CANCEL: frozenset({"program_coordinator", "manager", "requester"}),
    DispatchAction.SETTLE: frozenset({"program_coordinator", "manager"}),
    DispatchAction.OVERRIDE_CONFLICT: frozenset({"manager"}),
    DispatchAction.SCHEDULE: frozenset({"program_coordinator", "manager", "own_expert"}),
    DispatchAction.REPORT: frozenset({"program_coordinator", "own_expert"}),
    DispatchAction.EDIT: frozenset({"requester"}),
}


def can(user: User, action: DispatchAction, dispatch: Dispatch) -> bool:
    return bool(GRANTS[action] & _held(user, dispatch))


def require(user: User, action: DispatchAction, dispatch: Dispatch) -> None:
    if not can(user, action, dispatch):
        raise ActionNotPermitted(str(RULES[action]))


# What a screen offers on a dispatch -> (the grant it needs, the step of the state machine
# it takes, `DISPATCH_TRANSITIONS`).
OFFERS: dict[str, tuple[DispatchAction, str]] = {
    "submit": (DispatchAction.EDIT, "submit"),
    "edit": (DispatchAction.EDIT, "edit"),
    "approve": (DispatchAction.APPROVE, "approve"),
    "reject": (DispatchAction.REJECT, "reject"),
    "cancel": (DispatchAction.CANCEL, "cancel"),
    "complete": (DispatchAction.COMPLETE, "complete"),
    "settle": (DispatchAction.SETTLE, "settle"),
    "override_conflict": (DispatchAction.OVERRIDE_CONFLICT, "override_conflict"),
    "schedule": (DispatchAction.SCHEDULE, "schedule"),
    "final_report": (DispatchAction.REPORT, "final_report"),
    "report": (DispatchAction.REPORT, "report_visit"),
}


def offered_actions(user: User, dispatch: Dispatch) -> frozenset[str]:
    """What a screen offers `user` on `dispatch`: the role allows it and the state has it.

    Names: the keys of `OFFERS` (`final_report` only while none is filed), plus
    `print_order` once the dispatch is approved (`order_printable`), `read_history` for
    staff logins (an expert reads the dispatch, not its history), `open_case` when `user`
    may see the case file and `read_competitors` when `user` may read the client's declared
    competitors (`can_see_competitors`). A view computes this once per request and hands it to its
    template as `actions`.
    """
    held = _held(user, dispatch)
    offered = {
        name
        for name, (action, step) in OFFERS.items()
        if GRANTS[action] & held and dispatch.status in DISPATCH_TRANSITIONS[step]
    }
    if dispatch.final_report:
        offered.discard("final_report")
    if order_printable(dispatch):
        offered.add("print_order")
    if can_see_competitors(user, dispatch):
        offered.add("read_competitors")
    if expert_of(user) is None:
        offered.add("read_history")
        # A getter notes it with the dispatch (`case_visible`), else it is asked here.
        case_visible = getattr(dispatch, "case_visible", None)
        if case_visible is None:
            case_visible = case_policy.can_see_case(user, dispatch.case)
        if case_visible:
            offered.add("open_case")
    return frozenset(offered)


def order_printable(dispatch: Dispatch) -> bool:
    """The dispatch order (発注書) is issued once the dispatch is approved."""
    return dispatch.approved_at is not None


def require_order_printable(dispatch: Dispatch) -> None:
    if not order_printable(dispatch):
        raise ActionNotPermitted(_("a dispatch order is issued once the dispatch is approved"))


def transition_refused(dispatch: Dispatch, step: str) -> TransitionNotAllowed:
    """The 409 of a step the dispatch's state does not have, naming both states."""
    message = _('The dispatch is "%(current)s"; "%(requested)s" is not possible from there.')
    labels = DISPATCH_ACTION_LABELS
    return TransitionNotAllowed.labelled(dispatch.status, step, DispatchStatus, labels, message)


def ensure_transition(dispatch: Dispatch, step: str) -> None:
    """TransitionNotAllowed (409 naming both states) unless the state machine has `step`."""
    if dispatch.status not in DISPATCH_TRANSITIONS[step]:
        raise transition_refused(dispatch, step)


def require_offered(user: User, dispatch: Dispatch, name: str) -> None:
    """Refuse what a screen would not offer (see `offered_actions`): 403 naming the rule when
    the role is missing, 409 naming the states when the dispatch's state does not have it."""
    action, step = OFFERS[name]
    require(user, action, dispatch)
    ensure_transition(dispatch, step)


def visit_actions(offered: frozenset[str], visit: DispatchVisit) -> frozenset[str]:
    """What a row of the dispatch's visits table offers, from the dispatch's offered actions:
    `report` (file or amend its report) and `unschedule` (while no report is filed)."""
    actions = {"report"} & offered
    if "schedule" in offered and not visit.report_filed_at:
        actions.add("unschedule")
    return frozenset(actions)


VISIT_FILES_RULE = gettext_lazy(
    "only the dispatched expert or a coordinator of the program's desk attaches files to a "
    "visit report, while the dispatch is under way"
)


def can_attach_to_visit(user: User, visit: DispatchVisit) -> bool:
    """Files on a visit report (docs/security.md, "Attachments"): whoever files the report
    (`DispatchAction.REPORT`), while the dispatch's state takes reports. Seeing them follows
    the dispatch (`visible_dispatches_q`), never the case: on a restricted case the program
    desk and the expert see the visit's files without the case (docs/exits.md)."""
    dispatch = visit.dispatch
    return (
        can(user, DispatchAction.REPORT, dispatch)
        and dispatch.status in DISPATCH_TRANSITIONS["report_visit"]
    )


ROSTER_RULE = gettext_lazy("only staff see the expert roster")
QUOTA_RULE = gettext_lazy("only staff see the quota dashboard")
COPAY_RULE = gettext_lazy("only staff export co-payments")
DISPATCH_SCREENS_RULE = gettext_lazy("only staff and experts use expert dispatch")


def can_see_roster(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return case_policy.is_staff_member(user) or user.org_role == OrgRole.ADMIN


def can_manage_roster(user: User) -> bool:
    """Register and edit experts and programs: admin, managers, program desks' coordinators."""
    if user.org_role in (OrgRole.MANAGER, OrgRole.ADMIN):
        return True
    if not hasattr(user, "_casebook_roster_keeper"):
        from casebook.accounts.models import Desk

        coordinated = program_desk_ids(user)
        user._casebook_roster_keeper = bool(coordinated) and (
            Desk.objects.filter(code__in=ROSTER_DESKS, pk__in=coordinated).exists()
        )
    return user._casebook_roster_keeper


def require_manage_roster(user: User) -> None:
    if not can_manage_roster(user):
        raise ActionNotPermitted(
            _(
                "only a manager, an administrator or a coordinator of a desk that runs a dispatch "
                "program keeps the expert roster"
            )
        )


def can_declare_conflicts(user: User, expert: Expert) -> bool:
    own = expert_of(user)
    return (own is not None and own.pk == expert.pk) or can_manage_roster(user)


def require_roster(user: User) -> None:
    if not can_see_roster(user):
        raise ActionNotPermitted(str(ROSTER_RULE))


def can_see_quota(user: User) -> bool:
    """The quota dashboard and the co-payment statement: the staff who see the roster."""
    return can_see_roster(user)


def require_quota(user: User) -> None:
    if not can_see_quota(user):
        raise ActionNotPermitted(str(QUOTA_RULE))


def require_copay_export(user: User) -> None:
    if not can_see_quota(user):
        raise ActionNotPermitted(str(COPAY_RULE))


def require_dispatch_screens(user: User) -> None:
    """The dispatch desk page: an expert's own dispatches, or the staff's desk."""
    if not (is_expert_login(user) or can_see_roster(user)):
        raise ActionNotPermitted(str(DISPATCH_SCREENS_RULE))


def can_see_calendar_feed(user: User, expert: Expert) -> bool:
    """The address of an expert's calendar feed: the expert and the roster's keepers, as for
    the declarations of conflicts."""
    return can_declare_conflicts(user, expert)
