"""Who may see which case, and who may act on it (DESIGN §9).

The one place that answers these questions. Every view, API endpoint, export, search,
board and WebSocket asks here, so a rule changes in one place for all of them.
"""

from __future__ import annotations

from collections import defaultdict
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from casebook.accounts.models import DeskRole, OrgRole
from casebook.common.errors import ActionNotPermitted

if TYPE_CHECKING:
    from casebook.accounts.models import Desk, User
    from casebook.intake.models import Case

YOROZU = "yorozu"


class Action(StrEnum):
    ASSIGN = "assign"
    LOG_SESSION = "log_session"
    EDIT = "edit"
    HOLD = "hold"
    RESUME = "resume"
    CLOSE = "close"
    REOPEN = "reopen"
    REFER = "refer"
    REQUEST_DISPATCH = "request_dispatch"
    READ_HISTORY = "read_history"
    PUT_ON_EXIT_TRACK = "put_on_exit_track"


# Who may act on a case they can see. Grants:
#   assigned     the lead or a co-counselor of the case
#   coordinator  a coordinator of the case's desk
#   exit_team    a member of the exit team, on cases that are on the exit track
#   yorozu_coordinator  a coordinator of the yorozu desk
#   manager / auditor   the organisation-wide roles
_MANAGE = frozenset({"assigned", "coordinator", "exit_team", "manager"})
GRANTS: dict[Action, frozenset[str]] = {
    Action.ASSIGN: frozenset({"coordinator", "exit_team", "manager"}),
    Action.LOG_SESSION: frozenset({"assigned", "coordinator", "exit_team"}),
    Action.EDIT: _MANAGE,
    Action.HOLD: _MANAGE,
    Action.RESUME: _MANAGE,
    Action.CLOSE: _MANAGE,
    Action.REOPEN: frozenset({"coordinator", "manager"}),
    Action.REFER: _MANAGE,
    Action.REQUEST_DISPATCH: frozenset({"assigned", "coordinator", "exit_team"}),
    Action.READ_HISTORY: frozenset({"assigned", "coordinator", "exit_team", "manager", "auditor"}),
    Action.PUT_ON_EXIT_TRACK: frozenset({"yorozu_coordinator", "exit_team_any", "manager"}),
}

RULES: dict[Action, str] = {
    Action.ASSIGN: _("only a coordinator of the desk or a manager assigns a lead counselor"),
    Action.LOG_SESSION: _("only the case's counselors or a coordinator of the desk log sessions"),
    Action.EDIT: _("only the case's counselors, a coordinator of the desk or a manager edit it"),
    Action.HOLD: _("only the case's counselors, a coordinator of the desk or a manager hold it"),
    Action.RESUME: _(
        "only the case's counselors, a coordinator of the desk or a manager resume it"
    ),
    Action.CLOSE: _("only the case's counselors, a coordinator of the desk or a manager close it"),
    Action.REOPEN: _("only a coordinator of the desk or a manager reopens a case"),
    Action.REFER: _("only the case's counselors, a coordinator of the desk or a manager refer it"),
    Action.REQUEST_DISPATCH: _("only the case's counselors or a coordinator request a dispatch"),
    Action.READ_HISTORY: _(
        "only the case's counselors, its desk's coordinators, managers and "
        "auditors read its history"
    ),
    Action.PUT_ON_EXIT_TRACK: _(
        "only a yorozu coordinator, the exit team or a manager put a case on the exit track"
    ),
}


def desk_roles(user: User) -> dict[int, set[str]]:
    """{desk id: {roles}} of the user's active memberships, cached on the user object."""
    cached = getattr(user, "_casebook_desk_roles", None)
    if cached is None:
        cached = defaultdict(set)
        if user.is_authenticated:
            for desk_id, role in user.memberships.filter(
                active=True, desk__active=True
            ).values_list("desk_id", "role"):
                cached[desk_id].add(role)
        user._casebook_desk_roles = cached
    return cached


def can_see_desk(user: User, desk: Desk) -> bool:
    """Who may look at a desk's board, queue and lists: its members, managers and auditors.

    The one desk rule: every desk screen, desk list, desk socket and desk report asks here.
    A login without a desk role (an expert, an administrator) sees no desk.
    """
    if not user.is_authenticated or not user.is_active or not desk.active:
        return False
    if user.org_role in (OrgRole.MANAGER, OrgRole.AUDITOR):
        return True
    return desk.pk in desk_roles(user)


def visible_desks_q(user: User) -> Q:
    """A filter on Desk for the desks `user` may see (see `can_see_desk`)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.org_role in (OrgRole.MANAGER, OrgRole.AUDITOR):
        return Q(active=True)
    return Q(active=True, pk__in=list(desk_roles(user)))


def is_exit_team(user: User) -> bool:
    return any(DeskRole.EXIT_TEAM in roles for roles in desk_roles(user).values())


def is_staff_member(user: User) -> bool:
    return bool(desk_roles(user)) or user.org_role in (OrgRole.MANAGER, OrgRole.AUDITOR)


def _assigned_q(user: User) -> Q:
    from casebook.intake.models import Case

    co_counseled = Case.co_counselors.through.objects.filter(user_id=user.pk).values("case_id")
    return Q(lead_counselor_id=user.pk) | Q(pk__in=co_counseled)


def _shared_by_referral_q(desk_ids: list[int]) -> Q:
    """Referring cases whose full file was shared with one of `desk_ids` by a referral.

    Only a `normal` case is ever shared (never a confidential or restricted one), and only
    while the referral is pending or accepted (DESIGN §6; see casebook.referrals.services).
    """
    from casebook.referrals.models import Referral

    shared = Referral.objects.filter(
        kind="internal",
        share_full_file=True,
        status__in=("pending", "accepted"),
        to_desk_id__in=desk_ids,
    ).values("from_case_id")
    return Q(confidentiality="normal", pk__in=shared)


def visible_cases_q(user: User) -> Q:
    """A filter on Case for what `user` may see; `Q(pk__in=[])` for nobody."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.org_role == OrgRole.MANAGER:
        return Q()
    not_restricted = ~Q(confidentiality="restricted")
    if user.org_role == OrgRole.AUDITOR:
        return not_restricted
    desks = list(desk_roles(user))
    assigned = _assigned_q(user)
    visible = (not_restricted & Q(desk_id__in=desks)) | assigned
    if desks:
        visible |= _shared_by_referral_q(desks)
    if is_exit_team(user):
        visible |= Q(confidentiality="restricted")
    return visible


def cases_visible_to(user: User, queryset: QuerySet[Case] | None = None) -> QuerySet[Case]:
    from casebook.intake.models import Case

    base = Case.objects.all() if queryset is None else queryset
    return base.filter(visible_cases_q(user))


def can_see_case(user: User, case: Case) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.org_role == OrgRole.MANAGER:
        return True
    restricted = case.confidentiality == "restricted"
    if user.org_role == OrgRole.AUDITOR:
        return not restricted
    if is_assigned(user, case):
        return True
    if restricted:
        return is_exit_team(user)
    if case.desk_id in desk_roles(user):
        return True
    return is_shared_by_referral(user, case)


def is_shared_by_referral(user: User, case: Case) -> bool:
    """A receiving desk's member sees a referring case whose file was shared with the desk."""
    desks = list(desk_roles(user))
    if not desks or case.pk is None or case.confidentiality != "normal":
        return False
    from casebook.intake.models import Case

    return Case.objects.filter(_shared_by_referral_q(desks), pk=case.pk).exists()


def is_assigned(user: User, case: Case) -> bool:
    if case.lead_counselor_id == user.pk:
        return True
    if case.pk is None:
        return False
    return case.co_counselors.filter(pk=user.pk).exists()


def _grants_held(user: User, case: Case) -> set[str]:
    held: set[str] = set()
    roles = desk_roles(user)
    if user.org_role == OrgRole.MANAGER:
        held.add("manager")
    if user.org_role == OrgRole.AUDITOR:
        held.add("auditor")
    if DeskRole.COORDINATOR in roles.get(case.desk_id, set()):
        held.add("coordinator")
    if is_exit_team(user):
        held.add("exit_team_any")
        if case.on_exit_track:
            held.add("exit_team")
    if "coordinator" in held and case.desk.code == YOROZU:
        held.add("yorozu_coordinator")
    if is_assigned(user, case):
        held.add("assigned")
    return held


def can(user: User, action: Action, case: Case) -> bool:
    """May `user` do `action` on `case`? Assumes the caller already checked visibility."""
    return bool(GRANTS[action] & _grants_held(user, case))


def require(user: User, action: Action, case: Case) -> None:
    if not can(user, action, case):
        raise ActionNotPermitted(str(RULES[action]))


def allowed_actions(user: User, case: Case) -> set[Action]:
    held = _grants_held(user, case)
    return {action for action, grants in GRANTS.items() if grants & held}


def can_take_intake(user: User, desk: Desk) -> bool:
    """Create a client or open a case at `desk` (DESIGN §9: desk members, yorozu exit team)."""
    if user.org_role == OrgRole.MANAGER:
        return True
    roles = desk_roles(user).get(desk.pk, set())
    if roles & {DeskRole.COUNSELOR, DeskRole.COORDINATOR}:
        return True
    return DeskRole.EXIT_TEAM in roles and desk.code == YOROZU


def require_intake(user: User, desk: Desk) -> None:
    if not can_take_intake(user, desk):
        raise ActionNotPermitted(
            _("only members of the %(desk)s desk or a manager take intakes there")
            % {"desk": desk.name}
        )


def can_self_assign(user: User, case: Case) -> bool:
    """A counselor taking an intake at the counter may make themself the lead."""
    return case.status == "intake" and DeskRole.COUNSELOR in desk_roles(user).get(
        case.desk_id, set()
    )


def desks_for_intake(user: User) -> QuerySet[Desk]:
    from casebook.accounts.models import Desk

    desks = Desk.objects.filter(active=True)
    if user.org_role == OrgRole.MANAGER:
        return desks
    return desks.filter(
        pk__in=[
            d.pk for d in desks.filter(pk__in=list(desk_roles(user))) if can_take_intake(user, d)
        ]
    )
