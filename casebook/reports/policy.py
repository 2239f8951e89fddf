"""Who reads the reports and who keeps the plan (docs/reports.md, "Who reads them"), on top of
the case policy.

- The reports are aggregates: managers and auditors read them for every desk, a desk's
  coordinators for their desks. Counts include restricted cases (docs/rules.md,
  "Visibility": aggregate counts are fine); no report names or links a case.
- Anyone else gets 404 on every report screen and endpoint.
- The plan's targets are kept by managers and administrators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy

from casebook.accounts.models import DeskRole, OrgRole
from casebook.common.errors import ActionNotPermitted
from casebook.intake import policy as case_policy
from casebook.intake.models.cases import Confidentiality

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.intake.models import Case
    from casebook.reports.models import Activity

PLAN_RULE = gettext_lazy("only managers and administrators keep the plan's targets")


def coordinated_desk_ids(user: User) -> list[int]:
    return sorted(
        desk_id
        for desk_id, roles in case_policy.desk_roles(user).items()
        if DeskRole.COORDINATOR in roles
    )


def may_read_reports(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return case_policy.is_org_reader(user) or bool(coordinated_desk_ids(user))


def require_reader(user: User) -> None:
    """404 for a login that reads no report (no existence leak, docs/rules.md)."""
    if not may_read_reports(user):
        raise Http404("no reports for this login")


def report_desks_q(user: User) -> Q:
    """A filter on Desk: the desks whose figures `user` reads."""
    if not may_read_reports(user):
        return Q(pk__in=[])
    if case_policy.is_org_reader(user):
        return Q(active=True)
    return Q(active=True, pk__in=coordinated_desk_ids(user))


def report_desk_ids(user: User) -> list[int] | None:
    """The desks whose figures `user` reads; None for every desk (managers and auditors)."""
    if case_policy.is_org_reader(user):
        return None
    return coordinated_desk_ids(user)


def reads_every_desk(user: User) -> bool:
    """Organisation-wide figures (plan vs actual, dispatch days, satellites) are read by
    managers and auditors only: they are not a desk's."""
    return case_policy.is_org_reader(user)


def require_org_reader(user: User) -> None:
    if not reads_every_desk(user):
        raise Http404("no organisation-wide reports for this login")


def may_export_sessions(user: User) -> bool:
    """The row-by-row session export lists every desk's sessions: managers and auditors
    (docs/reports.md, "The session export")."""
    return reads_every_desk(user)


def require_session_exporter(user: User) -> None:
    if not may_export_sessions(user):
        raise Http404("no session export for this login")


def names_case(confidentiality: str) -> bool:
    """May a report name a case of this confidentiality (its number, title, client, who
    counselled, what was said)? Never a restricted one: it is counted, not named
    (docs/rules.md, "Visibility")."""
    return confidentiality != Confidentiality.RESTRICTED


def may_edit_plan(user: User) -> bool:
    return user.is_authenticated and (
        user.org_role in (OrgRole.MANAGER, OrgRole.ADMIN) or user.is_superuser
    )


def require_plan_editor(user: User) -> None:
    if not may_edit_plan(user):
        raise ActionNotPermitted(str(PLAN_RULE))


# --- activities ---------------------------------------------------------------------------

ACTIVITY_RULE = gettext_lazy(
    "only a coordinator of the desk or a manager records the desk's activities"
)


def may_record_activity(user: User, desk_id: int) -> bool:
    """A desk's activities are recorded by its coordinators and by managers."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.org_role == OrgRole.MANAGER or desk_id in coordinated_desk_ids(user)


def activity_desks_q(user: User) -> Q:
    """A filter on Desk: the active desks whose activities `user` records."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.org_role == OrgRole.MANAGER:
        return Q(active=True)
    return Q(active=True, pk__in=coordinated_desk_ids(user))


def activity_offered_actions(user: User, activity: Activity | None = None) -> set[str]:
    """What the activity screens offer `user`: "record" (a new activity, on the list) when
    they record some desk's, "edit" when they record `activity`'s desk's."""
    actions: set[str] = set()
    if activity is not None and may_record_activity(user, activity.desk_id):
        actions.add("edit")
    if activity is None and (
        user.is_authenticated
        and user.is_active
        and (user.org_role == OrgRole.MANAGER or coordinated_desk_ids(user))
    ):
        actions.add("record")
    return actions


def require_activity_action(user: User, name: str, activity: Activity | None = None) -> None:
    """403 naming the rule unless the activity screens offer `user` the action `name`."""
    if name not in activity_offered_actions(user, activity):
        raise ActionNotPermitted(str(ACTIVITY_RULE))


def require_record_activity(user: User, desk_id: int) -> None:
    if not may_record_activity(user, desk_id):
        raise ActionNotPermitted(str(ACTIVITY_RULE))


def activities_q(user: User) -> Q:
    """A filter on Activity: those of the desks whose figures `user` reads."""
    if not may_read_reports(user):
        return Q(pk__in=[])
    desk_ids = report_desk_ids(user)
    return Q() if desk_ids is None else Q(desk_id__in=desk_ids)


# --- client outcomes ----------------------------------------------------------------------

OUTCOME_RULE = gettext_lazy(
    "only the case's counselors or a coordinator of the desk record what its client reports"
)


def may_record_outcome(user: User, case: Case) -> bool:
    """What a client reports is recorded on a case with a client (not an anonymous intake) by
    those who log its sessions: its counselors, the desk's coordinators, the exit team on a
    case on the track. Assumes the caller already checked that `user` sees the case."""
    if not user.is_authenticated or not user.is_active or case.client_id is None:
        return False
    return case_policy.can(user, case_policy.Action.LOG_SESSION, case)


def require_record_outcome(user: User, case: Case) -> None:
    if not may_record_outcome(user, case):
        raise ActionNotPermitted(str(OUTCOME_RULE))


def outcome_actions(user: User, case: Case) -> frozenset[str]:
    """What the case page's outcomes panel offers: `record_outcome` or nothing."""
    return frozenset({"record_outcome"}) if may_record_outcome(user, case) else frozenset()


# --- the satisfaction survey ------------------------------------------------------------------


def may_read_survey_comments(user: User) -> bool:
    """The survey's comments are free text written by clients about named counselors: read
    by managers only. Everyone who reads the figures reads the counts and scores."""
    return bool(user.is_authenticated and user.is_active and user.org_role == OrgRole.MANAGER)


def surveys_q(user: User) -> Q:
    """A filter on SatisfactionSurvey: those of the desks whose figures `user` reads."""
    if not may_read_reports(user):
        return Q(pk__in=[])
    desk_ids = report_desk_ids(user)
    return Q() if desk_ids is None else Q(desk_id__in=desk_ids)
