"""Who may see which desk and case, and who may do what on a case (docs/rules.md).

The one place that answers these questions. Every view, API endpoint, export, search, board
and WebSocket asks here, and the policies of the other apps build on it, so a rule changes in
one place for all of them:

- desks: `can_see_desk`, `visible_desks_q`;
- cases: `visible_cases_q` / `cases_visible_to`, `can_see_case`;
- sessions: `visible_sessions_q`, the case rule on the copies a session carries;
- the live sockets: the same two rules as pure functions of loaded facts (`Viewer`,
  `CaseFacts`, `viewer_sees_desk`, `viewer_sees_case`), so a board socket decides an event
  without a query (docs/performance.md, "The board socket");
- actions: `can` / `require` (403 naming the rule) and `offered_actions`, what a screen offers
  on a case (the role allows it and the case's state has it), computed once per request and
  handed to the templates, which hold no rule of their own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from casebook.accounts.models import DeskMembership, DeskRole, OrgRole
from casebook.common.errors import ActionNotPermitted, TransitionNotAllowed
from casebook.common.prepared import PreparedRead
from casebook.intake.models import (
    DISPATCH_REQUEST_STATUSES,
    SESSION_STATUSES,
    TRANSITION_LABELS,
    TRANSITIONS,
    CaseStatus,
    Confidentiality,
)

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
#   exit_team_any       a member of the exit team, on any case
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

# --- desks --------------------------------------------------------------------------------


# `(desk id, desk code, role)` of a login's active memberships at active desks. Every request
# of a login reads them; the statement is the same for every login, so it is compiled once
# and executed with the login's id (docs/performance.md, "Statements compiled once").
_active_memberships = PreparedRead(
    DeskMembership,
    lambda user_id: (
        DeskMembership.objects.filter(user_id=user_id)
        .filter(active=True, desk__active=True)
        .values_list("desk_id", "desk__code", "role")
    ),
)


def desk_roles(user: User) -> dict[int, set[str]]:
    """{desk id: {roles}} of the user's active memberships, read once per user object."""
    cached = getattr(user, "_casebook_desk_roles", None)
    if cached is None:
        cached = defaultdict(set)
        codes: dict[int, str] = {}
        if user.is_authenticated:
            for desk_id, code, role in _active_memberships(user.pk):
                cached[desk_id].add(role)
                codes[desk_id] = code
        user._casebook_desk_roles = cached
        user._casebook_desk_codes = codes
    return cached


def _desk_codes(user: User) -> dict[int, str]:
    desk_roles(user)
    return user._casebook_desk_codes


def _org_reader(user: User) -> bool:
    return user.org_role in (OrgRole.MANAGER, OrgRole.AUDITOR)


def is_org_reader(user: User) -> bool:
    """An active login that reads across the desks by its organisation role (a manager, an
    auditor): the readers of the reports and of the exit track's access log."""
    return user.is_authenticated and user.is_active and _org_reader(user)


def can_see_desk(user: User, desk: Desk) -> bool:
    """Who may look at a desk's board, queue and lists: its members, managers and auditors.

    The one desk rule: every desk screen, desk list, desk socket and desk report asks here.
    A login without a desk role (an expert, an administrator) sees no desk.
    """
    if not user.is_authenticated or not user.is_active or not desk.active:
        return False
    return _org_reader(user) or desk.pk in desk_roles(user)


def visible_desks_q(user: User) -> Q:
    """A filter on Desk for the desks `user` may see (see `can_see_desk`)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if _org_reader(user):
        return Q(active=True)
    return Q(active=True, pk__in=list(desk_roles(user)))


def is_exit_team(user: User) -> bool:
    return any(DeskRole.EXIT_TEAM in roles for roles in desk_roles(user).values())


def is_staff_member(user: User) -> bool:
    """A desk member or an organisation-wide reader: who uses the case screens at all."""
    return bool(desk_roles(user)) or _org_reader(user)


# --- cases --------------------------------------------------------------------------------


def _shared_q(desk_ids: list[int], prefix: str = "") -> Q:
    """Cases whose file was shared with one of `desk_ids`, while they are `normal`.

    A confidential or restricted case is never shown through a share, so a share lapses by
    itself when its case becomes one (docs/rules.md, "Visibility").
    """
    from casebook.intake.models import CaseShare

    shared = CaseShare.objects.filter(desk_id__in=desk_ids).values("case_id")
    return Q(**{f"{prefix}confidentiality": Confidentiality.NORMAL, f"{prefix}pk__in": shared})


def viewer_facts(user: User) -> tuple[Any, ...] | None:
    """Every fact of a login that the case and session rules read: its id, organisation role,
    whether it is active, and its active desk memberships with their roles (`desk_roles`,
    read once per user object). None for an anonymous visitor. The rules, and the selectors'
    base query sets built on them, are functions of these facts alone: a rule built for a
    login's facts is that login's while the facts stay the same (`per_viewer`). A rule that
    came to read another fact of the login must add it here."""
    if not user.is_authenticated:
        return None
    if _org_reader(user):
        # A manager's or an auditor's rules are their role's, whatever their desks
        # (`_case_branches`, `_session_branches`): their memberships are not read for them.
        return (user.pk, user.org_role, user.is_active, None)
    memberships = tuple(
        sorted((desk, tuple(sorted(roles))) for desk, roles in desk_roles(user).items())
    )
    return (user.pk, user.org_role, user.is_active, memberships)


# `per_viewer`'s builds, by their key and the login's facts, most recently used last. A hub's
# staff is a few dozen logins, each with a few rules and base query sets: the bound keeps a
# process's memory flat whatever comes.
_BUILT_FOR_VIEWERS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_BUILT_FOR_VIEWERS_SIZE = 1024
_BUILT_FOR_VIEWERS_LOCK = threading.Lock()
_NOT_BUILT = object()


def per_viewer(user: User, key: tuple[str, ...], build: Callable[[], Any]) -> Any:
    """`build()` once per process for `key` and the login's facts (`viewer_facts`), then the
    same object: a visibility rule (a list of conditions) or a selector's base query set,
    whose build reads nothing of the login but those facts. Every list request asks for its
    rule in several places and built it again each time, a tree of conditions and a query
    set or two, about a fifth of a case list's Python (docs/performance.md, "Rules built once
    per login"). A fact that changes (a membership, a role, the login deactivated) is
    another key, so nothing is answered from before it. What is returned is shared: a query
    set's methods return new ones; a caller copies a list before changing it."""
    facts = viewer_facts(user)
    if facts is None:
        return build()
    memo_key = (*key, *facts)
    with _BUILT_FOR_VIEWERS_LOCK:
        built = _BUILT_FOR_VIEWERS.get(memo_key, _NOT_BUILT)
        if built is not _NOT_BUILT:
            _BUILT_FOR_VIEWERS.move_to_end(memo_key)
            return built
    built = build()
    with _BUILT_FOR_VIEWERS_LOCK:
        _BUILT_FOR_VIEWERS[memo_key] = built
        while len(_BUILT_FOR_VIEWERS) > _BUILT_FOR_VIEWERS_SIZE:
            _BUILT_FOR_VIEWERS.popitem(last=False)
    return built


def _per_user(user: User, key: tuple[str, ...], build: Callable[[], Any]) -> Any:
    """A rule's build, once per login's facts (`per_viewer`)."""
    return per_viewer(user, ("rule", *key), build)


def _any_of(branches: list[Q]) -> Q:
    """The OR of a rule's branches: `Q(pk__in=[])` for none (nobody), the one branch alone,
    `Q()` for a manager's."""
    if not branches:
        return Q(pk__in=[])
    visible = branches[0]
    for branch in branches[1:]:
        visible |= branch
    return visible


def visible_case_branches(user: User, *, prefix: str = "") -> list[Q]:
    """The visibility rule as its separate branches, whose OR is `visible_cases_q`.

    `[]` for nobody; `[Q()]` for a manager (no condition). Otherwise, in order: the cases of
    the user's desks that are not restricted, the cases the user leads, the cases the user
    co-counsels, the `normal` cases shared with the user's desks, and for the exit team
    every restricted case. The branches overlap (the lead of a case of
    the user's desk is in two): their union, not their sum, is what is visible. A reader
    that needs one part of the rule (e.g. a list read one branch at a time) takes it from
    here; docs/performance.md, "Lists and the visibility branches", says what was measured.
    Built once per user object and prefix (`_per_user`); the list is the caller's own.
    """
    # The branches read a case's desk, lead, confidentiality and id only: the search applies
    # them to its per-case rows, which copy those columns (`intake.models.CaseSearchGrams`;
    # docs/performance.md, "Search"). A branch on another column must be copied there too.
    if not user.is_authenticated or not user.is_active:
        return []
    return list(_per_user(user, ("cases", prefix), lambda: _case_branches(user, prefix)))


def _case_branches(user: User, prefix: str) -> list[Q]:
    if user.org_role == OrgRole.MANAGER:
        return [Q()]
    restricted = Q(**{f"{prefix}confidentiality": Confidentiality.RESTRICTED})
    if user.org_role == OrgRole.AUDITOR:
        return [~restricted]
    from casebook.intake.models import Case

    desks = list(desk_roles(user))
    co_counseled = Case.co_counselors.through.objects.filter(user_id=user.pk).values("case_id")
    branches = [
        Q(**{f"{prefix}lead_counselor_id": user.pk}),
        Q(**{f"{prefix}pk__in": co_counseled}),
    ]
    if desks:
        desk_cases = ~restricted & Q(**{f"{prefix}desk_id__in": desks})
        branches = [desk_cases, *branches, _shared_q(desks, prefix)]
    if is_exit_team(user):
        branches.append(restricted)
    return branches


def visible_cases_q(user: User, *, prefix: str = "") -> Q:
    """A filter on Case for what `user` may see; `Q(pk__in=[])` for nobody: the OR of
    `visible_case_branches`.

    `prefix` applies the same rule to the rows of a case (`"case__"` on sessions): the filter
    then reads the case row joined to each one, so a list ordered by its own index stops after
    a page instead of collecting every visible case first (docs/performance.md). A manager's
    filter is empty (`Q()`): no condition at all. Built once per user object and prefix.
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    return _per_user(
        user, ("cases_q", prefix), lambda: _any_of(visible_case_branches(user, prefix=prefix))
    )


def visible_search_row_branches(user: User) -> list[Q]:
    """`visible_case_branches` on a case's search row (`CaseSearchGrams`: the case's desk,
    lead and confidentiality copied, its key the case's id), each branch one that the row's
    GIN index serves with the word's grams or one that names its cases: the cases of the
    reader's desks that are not restricted, the cases it leads and the `normal` cases shared
    with its desks by the index's desk, lead and shared desks columns (the ids as one typed
    array, which the index takes), the cases it co-counsels by their ids. The search reads
    the union of a word's rows under each branch, so a word that many cases of other desks
    hold is not read from their rows (docs/performance.md, "A word other desks hold"). The
    exit team's restricted cases are one more branch, read from the word's rows. The same
    branches as `visible_case_branches`, for the same readers: tests/intake/test_policy.py
    checks that they show exactly its cases. Built once per user object."""
    if not user.is_authenticated or not user.is_active:
        return []
    return list(_per_user(user, ("search rows",), lambda: _search_row_branches(user)))


def _search_row_branches(user: User) -> list[Q]:
    if user.org_role in (OrgRole.MANAGER, OrgRole.AUDITOR):
        # Every row, or every row not restricted: nothing narrower to serve.
        return _case_branches(user, "")
    from casebook.common.lookups import in_ids
    from casebook.common.search import among_ids
    from casebook.intake.models import Case

    restricted = Q(confidentiality=Confidentiality.RESTRICTED)
    desks = list(desk_roles(user))
    co_counseled = Case.co_counselors.through.objects.filter(user_id=user.pk).values("case_id")
    branches = [in_ids("lead_counselor__id", [user.pk]), among_ids("case_id", co_counseled)]
    if desks:
        branches = [
            ~restricted & in_ids("desk__id", desks),
            *branches,
            Q(confidentiality=Confidentiality.NORMAL, shared_desk_ids__overlaps_ids=desks),
        ]
    if is_exit_team(user):
        branches.append(restricted)
    return branches


def visible_session_branches(user: User) -> list[Q]:
    """`visible_case_branches` on the session's own columns: its case's desk and
    confidentiality as the session carries them (`ConsultationSession.desk`,
    `case_confidentiality`, kept by `services.sessions_follow_cases`), and its case's id.

    The same branches in the same order, for the same readers: the desk branch reads the
    session row only, and the lead, co-counselor and share branches are sets of case ids
    (hashed once per query), so a sessions page newest first walks the sessions' date index
    without reading a case row for the rule, and joins the case for the page's rows only
    (docs/performance.md, "The small desk's sessions"). The lead's set grows with the cases
    the reader has led. tests/intake/test_policy.py checks that they show the sessions of
    exactly the cases `visible_case_branches` shows. Built once per user object.
    """
    if not user.is_authenticated or not user.is_active:
        return []
    return list(_per_user(user, ("sessions",), lambda: _session_branches(user)))


def _session_branches(user: User) -> list[Q]:
    if user.org_role == OrgRole.MANAGER:
        return [Q()]
    restricted = Q(case_confidentiality=Confidentiality.RESTRICTED)
    if user.org_role == OrgRole.AUDITOR:
        return [~restricted]
    from casebook.intake.models import Case, CaseShare

    desks = list(desk_roles(user))
    led = Case.objects.filter(lead_counselor_id=user.pk).values("pk")
    co_counseled = Case.co_counselors.through.objects.filter(user_id=user.pk).values("case_id")
    branches = [Q(case_id__in=led), Q(case_id__in=co_counseled)]
    if desks:
        desk_sessions = ~restricted & Q(desk_id__in=desks)
        # A share shows a case while it is `normal` (`_shared_q`).
        shared = Q(
            case_confidentiality=Confidentiality.NORMAL,
            case_id__in=CaseShare.objects.filter(desk_id__in=desks).values("case_id"),
        )
        branches = [desk_sessions, *branches, shared]
    if is_exit_team(user):
        branches.append(restricted)
    return branches


def visible_sessions_q(user: User) -> Q:
    """A filter on ConsultationSession for the sessions of the cases `user` may see: the OR
    of `visible_session_branches`; `Q(pk__in=[])` for nobody, `Q()` for a manager. Built
    once per user object."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    return _per_user(user, ("sessions_q",), lambda: _any_of(visible_session_branches(user)))


def restricted_q(prefix: str = "") -> Q:
    """A filter for restricted cases (on Case, or through `prefix`, e.g. `case__`), for the
    apps whose rows about a case follow its restriction (docs/rules.md, "Visibility")."""
    return Q(**{f"{prefix}confidentiality": Confidentiality.RESTRICTED})


def is_restricted(case: Case) -> bool:
    return case.confidentiality == Confidentiality.RESTRICTED


def cases_visible_to(user: User, queryset: QuerySet[Case] | None = None) -> QuerySet[Case]:
    from casebook.intake.models import Case

    base = Case.objects.all() if queryset is None else queryset
    return base.filter(visible_cases_q(user))


def can_see_case(user: User, case: Case) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return _sees_case(
        org_role=user.org_role,
        restricted=case.confidentiality == Confidentiality.RESTRICTED,
        assigned=lambda: is_assigned(user, case),
        exit_team=lambda: is_exit_team(user),
        desk_member=lambda: case.desk_id in desk_roles(user),
        shared=lambda: is_shared_with(user, case),
    )


def _sees_case(
    *,
    org_role: str,
    restricted: bool,
    assigned: Callable[[], bool],
    exit_team: Callable[[], bool],
    desk_member: Callable[[], bool],
    shared: Callable[[], bool],
) -> bool:
    """Who sees a case (docs/rules.md), written once for an active login whether its facts
    are read from the database (`can_see_case`) or were loaded (`viewer_sees_case`): each
    later fact is asked only when the rule reaches it."""
    if org_role == OrgRole.MANAGER:
        return True
    if org_role == OrgRole.AUDITOR:
        return not restricted
    if assigned():
        return True
    if restricted:
        return exit_team()
    return desk_member() or shared()


def is_shared_with(user: User, case: Case) -> bool:
    """A member of a desk the case's file was shared with sees it (see `_shared_q`)."""
    desks = list(desk_roles(user))
    if not desks or case.pk is None or case.confidentiality != Confidentiality.NORMAL:
        return False
    from casebook.intake.models import CaseShare

    return CaseShare.objects.filter(case_id=case.pk, desk_id__in=desks).exists()


# --- the same rules on loaded facts (the live sockets) -------------------------------------


@dataclass(frozen=True)
class Viewer:
    """What the desk and case rules need about a login, as `desk_roles` reads it: loaded for
    many sockets at once (`viewers_of`), so that `viewer_sees_desk` and `viewer_sees_case`
    decide without a query. They must answer as `can_see_desk` and `can_see_case` do
    (tests/intake/test_policy_facts.py checks the cast of users against them)."""

    user_id: int
    org_role: str
    active: bool
    desk_roles: Mapping[int, frozenset[str]]

    @property
    def desks(self) -> frozenset[int]:
        return frozenset(self.desk_roles)

    @property
    def exit_team(self) -> bool:
        return any(DeskRole.EXIT_TEAM in roles for roles in self.desk_roles.values())


@dataclass(frozen=True)
class CaseFacts:
    """What the case rule needs about a case, read once when its event is published
    (`intake/selectors/live.py`) and carried by the event to every socket."""

    id: int
    desk_id: int
    desk_active: bool
    confidentiality: str
    lead_counselor_id: int | None
    co_counselor_ids: frozenset[int]
    shared_desk_ids: frozenset[int]

    def as_message(self) -> dict[str, Any]:
        """Plain values, as a channel layer carries them (JSON, msgpack)."""
        return {
            "id": self.id,
            "desk_id": self.desk_id,
            "desk_active": self.desk_active,
            "confidentiality": self.confidentiality,
            "lead_counselor_id": self.lead_counselor_id,
            "co_counselor_ids": sorted(self.co_counselor_ids),
            "shared_desk_ids": sorted(self.shared_desk_ids),
        }

    @classmethod
    def from_message(cls, data: Mapping[str, Any]) -> CaseFacts:
        return cls(
            id=data["id"],
            desk_id=data["desk_id"],
            desk_active=data["desk_active"],
            confidentiality=data["confidentiality"],
            lead_counselor_id=data["lead_counselor_id"],
            co_counselor_ids=frozenset(data["co_counselor_ids"]),
            shared_desk_ids=frozenset(data["shared_desk_ids"]),
        )


def viewers_of(users: Iterable[User]) -> dict[int, Viewer]:
    """{user id: Viewer} of `users`, their roles read in one query (the memberships
    `desk_roles` counts: active, on an active desk)."""
    from casebook.accounts.models import DeskMembership

    people = {user.pk: user for user in users}
    roles: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    rows = DeskMembership.objects.filter(
        user_id__in=list(people), active=True, desk__active=True
    ).values_list("user_id", "desk_id", "role")
    for user_id, desk_id, role in rows:
        roles[user_id][desk_id].add(role)
    return {
        pk: Viewer(
            user_id=pk,
            org_role=user.org_role,
            active=user.is_active,
            desk_roles={desk: frozenset(held) for desk, held in roles[pk].items()},
        )
        for pk, user in people.items()
    }


def viewer_sees_desk(viewer: Viewer, *, desk_id: int, desk_active: bool) -> bool:
    """`can_see_desk` on loaded facts."""
    if not viewer.active or not desk_active:
        return False
    return viewer.org_role in (OrgRole.MANAGER, OrgRole.AUDITOR) or desk_id in viewer.desks


def viewer_sees_case(viewer: Viewer, facts: CaseFacts) -> bool:
    """`can_see_case` on loaded facts."""
    if not viewer.active:
        return False
    return _sees_case(
        org_role=viewer.org_role,
        restricted=facts.confidentiality == Confidentiality.RESTRICTED,
        assigned=lambda: (
            facts.lead_counselor_id == viewer.user_id or viewer.user_id in facts.co_counselor_ids
        ),
        exit_team=lambda: viewer.exit_team,
        desk_member=lambda: facts.desk_id in viewer.desks,
        shared=lambda: (
            facts.confidentiality == Confidentiality.NORMAL
            and bool(viewer.desks & facts.shared_desk_ids)
        ),
    )


def is_assigned(user: User, case: Case) -> bool:
    """The lead or a co-counselor (from memory when the case's co-counselors were loaded)."""
    if case.lead_counselor_id == user.pk:
        return True
    if case.pk is None:
        return False
    if "co_counselors" in getattr(case, "_prefetched_objects_cache", {}):
        return any(person.pk == user.pk for person in case.co_counselors.all())
    return case.co_counselors.filter(pk=user.pk).exists()


# --- actions ------------------------------------------------------------------------------


def _grants_held(user: User, case: Case) -> set[str]:
    held: set[str] = set()
    roles = desk_roles(user)
    if user.org_role == OrgRole.MANAGER:
        held.add("manager")
    if user.org_role == OrgRole.AUDITOR:
        held.add("auditor")
    if DeskRole.COORDINATOR in roles.get(case.desk_id, set()):
        held.add("coordinator")
        if _desk_codes(user).get(case.desk_id) == YOROZU:
            held.add("yorozu_coordinator")
    if is_exit_team(user):
        held.add("exit_team_any")
        if case.on_exit_track:
            held.add("exit_team")
    if is_assigned(user, case):
        held.add("assigned")
    return held


def can(user: User, action: Action, case: Case) -> bool:
    """May `user` do `action` on `case`? Assumes the caller already checked visibility."""
    return bool(GRANTS[action] & _grants_held(user, case))


def require(user: User, action: Action, case: Case) -> None:
    """ActionNotPermitted (403 naming the rule) unless `user` may do `action` on `case`."""
    if not can(user, action, case):
        raise ActionNotPermitted(str(RULES[action]))


# How confidential a case is, in order: a merge never moves sessions to a less confidential case.
CONFIDENTIALITY_RANK = {
    Confidentiality.NORMAL: 0,
    Confidentiality.CONFIDENTIAL: 1,
    Confidentiality.RESTRICTED: 2,
}


def merge_refusal(user: User, duplicate: Case, survivor: Case) -> tuple[str, str] | None:
    """Why `duplicate`'s sessions may not move to `survivor` as `user` closes it as a
    duplicate — `(code, message)` — or None when they may (docs/security.md, finding 1).

    The sessions keep their desk and at least their confidentiality, and land only where
    `user` may log sessions: merging never shows a session to someone who could not read it.
    """
    if survivor.client_id != duplicate.client_id:
        return "client", str(_("the surviving case is of another client"))
    if survivor.desk_id != duplicate.desk_id:
        return "desk", str(_("the surviving case is of another desk"))
    rank = CONFIDENTIALITY_RANK
    if rank[survivor.confidentiality] < rank[duplicate.confidentiality]:
        return "confidentiality", str(_("the surviving case is less confidential"))
    if not (can_see_case(user, survivor) and can(user, Action.LOG_SESSION, survivor)):
        return "log_session", str(_("you may not log sessions on the surviving case"))
    return None


def allowed_actions(user: User, case: Case) -> set[Action]:
    """The actions `user`'s roles allow on `case`, whatever state it is in."""
    held = _grants_held(user, case)
    return {action for action, grants in GRANTS.items() if grants & held}


def can_self_assign(user: User, case: Case) -> bool:
    """A counselor taking an intake at the counter may make themself the lead."""
    return case.status == CaseStatus.INTAKE and DeskRole.COUNSELOR in desk_roles(user).get(
        case.desk_id, set()
    )


# What a screen may offer: the transitions of the state machine, plus the other actions of a
# case, each with the state in which it makes sense.
_TRANSITION_ACTIONS = {
    "assign": Action.ASSIGN,
    "hold": Action.HOLD,
    "resume": Action.RESUME,
    "close": Action.CLOSE,
    "reopen": Action.REOPEN,
}
OFFERED_ACTION_RULE = {
    **_TRANSITION_ACTIONS,
    "edit": Action.EDIT,
    "log_session": Action.LOG_SESSION,
    "refer": Action.REFER,
    "request_dispatch": Action.REQUEST_DISPATCH,
    "read_history": Action.READ_HISTORY,
}


def offered_actions(user: User, case: Case) -> frozenset[str]:
    """What a screen offers `user` on `case`: the role allows it and the state has it.

    Names: the transitions (`assign`, `hold`, `resume`, `close`, `reopen`), `take` (a counselor
    takes an intake), `edit`, `log_session`, `refer`, `request_dispatch`, `read_history`.
    A view computes this once per request and hands it to its template and panels.
    """
    allowed = allowed_actions(user, case)
    status = case.status
    offered = {
        name
        for name, action in _TRANSITION_ACTIONS.items()
        if action in allowed and status in TRANSITIONS[name]
    }
    if "assign" not in offered and can_self_assign(user, case):
        offered.add("take")
    in_state = {
        Action.LOG_SESSION: status in SESSION_STATUSES,
        Action.EDIT: status != CaseStatus.CLOSED,
        Action.REFER: status != CaseStatus.CLOSED,
        Action.REQUEST_DISPATCH: status in DISPATCH_REQUEST_STATUSES,
        Action.READ_HISTORY: True,
    }
    offered |= {
        str(action) for action, possible in in_state.items() if possible and action in allowed
    }
    return frozenset(offered)


def require_offered(user: User, case: Case, name: str) -> None:
    """Refuse an action the screen would not offer: 403 naming the rule when the role is
    missing, 409 naming the states when the case's state does not have it."""
    if name in offered_actions(user, case):
        return
    if name == "take":
        if case.status == CaseStatus.INTAKE:
            require(user, Action.ASSIGN, case)
    else:
        require(user, OFFERED_ACTION_RULE[name], case)
    raise TransitionNotAllowed.labelled(case.status, name, CaseStatus, TRANSITION_LABELS)


# --- intake -------------------------------------------------------------------------------


def can_take_intake(user: User, desk: Desk) -> bool:
    """Create a client or open a case at `desk`: its counselors and coordinators, the yorozu
    exit team, managers (docs/rules.md, "Who may do what")."""
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


def _intake_desk_ids(user: User) -> list[int]:
    codes = _desk_codes(user)
    return [
        desk_id
        for desk_id, roles in desk_roles(user).items()
        if roles & {DeskRole.COUNSELOR, DeskRole.COORDINATOR}
        or (DeskRole.EXIT_TEAM in roles and codes.get(desk_id) == YOROZU)
    ]


def may_take_intakes(user: User) -> bool:
    """Whether `user` takes intakes at some desk (the nav offers the intake screen)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.org_role == OrgRole.MANAGER or bool(_intake_desk_ids(user))


def desks_for_intake(user: User) -> QuerySet[Desk]:
    """The active desks where `user` may take an intake."""
    from casebook.accounts.models import Desk

    desks = Desk.objects.filter(active=True)
    if user.org_role == OrgRole.MANAGER:
        return desks
    return desks.filter(pk__in=_intake_desk_ids(user))


# --- clients ------------------------------------------------------------------------------

CLIENT_RULES = {
    "edit": _("only desk staff or a manager edit clients and their contacts"),
    "merge": _("only a coordinator or a manager merges two clients"),
    "merge_unseen": _(
        "a client with cases you may not see is merged by someone who sees all of them"
    ),
    "personal_data": _("only a manager exports everything held about a client"),
}


def can_edit_clients(user: User) -> bool:
    """Who registers clients edits them and their contacts (the register is shared)."""
    return may_take_intakes(user)


def can_merge_clients(user: User) -> bool:
    """Merging moves every case of a client: the coordinators of a desk and the managers."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.org_role == OrgRole.MANAGER:
        return True
    return any(DeskRole.COORDINATOR in roles for roles in desk_roles(user).values())


def can_export_personal_data(user: User) -> bool:
    """The APPI disclosure holds every record of a client, restricted cases included: only a
    manager, who sees them all, makes it (docs/security.md, "APPI")."""
    return user.is_authenticated and user.is_active and user.org_role == OrgRole.MANAGER


def client_offered_actions(user: User) -> frozenset[str]:
    """What the client page offers: `edit` (the client and its contacts), `merge`,
    `personal_data` (the APPI export)."""
    offered = set()
    if can_edit_clients(user):
        offered.add("edit")
    if can_merge_clients(user):
        offered.add("merge")
    if can_export_personal_data(user):
        offered.add("personal_data")
    return frozenset(offered)


def require_client_action(user: User, name: str) -> None:
    """ActionNotPermitted (403 naming the rule) unless the client page offers `name`."""
    if name not in client_offered_actions(user):
        raise ActionNotPermitted(str(CLIENT_RULES[name]))


def sees_every_case_of(user: User, clients: list) -> bool:
    """Whether every case of `clients` is one `user` may see (a merge moves them all)."""
    from casebook.intake.models import Case

    visible = visible_cases_q(user)
    if not visible:  # a manager: every case
        return True
    return not Case.objects.filter(client__in=clients).exclude(visible).exists()
