"""Reads of the screens, each built on the policy-filtered selectors (never on raw managers).

The screens need a few shapes the API does not: my open work, a desk board grouped by status,
one timeline per case. They live here, next to the views that render them.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casebook.accounts.models import Desk, DeskRole, OrgRole, User
from casebook.common.japanese import normalize_text, search_key
from casebook.intake import policy, selectors
from casebook.intake.models import (
    Case,
    CaseStatus,
    Client,
    ClientOutcome,
    ConsultationSession,
    IpDetails,
    IpRight,
    SubcontractDetails,
    Topic,
)
from casebook.intake.services.cases import TRANSITIONS
from casebook.intake.services.desk_details import GRACE_PERIOD_ALERT_DAYS, grace_period_deadline

OPEN_STATUSES = (
    CaseStatus.INTAKE,
    CaseStatus.ASSIGNED,
    CaseStatus.ACTIVE,
    CaseStatus.DISPATCH,
    CaseStatus.ON_HOLD,
)
HOLD_LOOKAHEAD = dt.timedelta(days=7)
_PRIORITY_RANK = SqlCase(
    When(priority="high", then=0),
    When(priority="normal", then=1),
    default=2,
    output_field=IntegerField(),
)
_CREATION_SETTLES = dt.timedelta(seconds=5)
# History fields that say nothing to a reader, or that the session, assignment and transition
# entries already show.
_QUIET_HISTORY_FIELDS = {
    "version",
    "updated_at",
    "status",
    "status_before_hold",
    "lead_counselor",
    "first_session_at",
    "closed_at",
    "closure_reason",
    "closure_summary",
    "hold_reason",
}


# --- desks -------------------------------------------------------------------------------


def desk_get_for_user(user: User, code: str) -> Desk:
    """The desk if `user` may see its board (its members, managers, auditors), else 404."""
    try:
        desk = Desk.objects.get(code=code, active=True)
    except Desk.DoesNotExist:
        raise Http404("no such desk") from None
    if user.org_role in (OrgRole.MANAGER, OrgRole.AUDITOR):
        return desk
    if desk.pk not in policy.desk_roles(user):
        raise Http404("no such desk")
    return desk


def desks_of_user(user: User) -> QuerySet[Desk]:
    desks = Desk.objects.filter(active=True)
    if user.org_role in (OrgRole.MANAGER, OrgRole.AUDITOR):
        return desks
    return desks.filter(pk__in=list(policy.desk_roles(user)))


def desk_staff(desk: Desk, *, include: Iterable[User] = ()) -> QuerySet[User]:
    """People who may lead or attend a case of `desk` (plus `include`, e.g. current counselors)."""
    roles = (DeskRole.COUNSELOR, DeskRole.COORDINATOR, DeskRole.EXIT_TEAM)
    condition = Q(memberships__desk=desk, memberships__role__in=roles, memberships__active=True)
    extra = [u.pk for u in include if u is not None]
    if extra:
        condition |= Q(pk__in=extra)
    return (
        User.objects.filter(condition, is_active=True)
        .distinct()
        .order_by("display_name_kana", "username")
    )


# --- cases -------------------------------------------------------------------------------


def _with_follow_up(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate `next_follow_up`: the follow-up date of the case's latest session."""
    latest = ConsultationSession.objects.filter(case=OuterRef("pk")).order_by("-started_at", "-id")
    return queryset.annotate(next_follow_up=Subquery(latest.values("follow_up_on")[:1]))


def my_open_cases(user: User) -> QuerySet[Case]:
    """Open cases `user` leads or co-counsels, among those the user may see."""
    co_counseled = Case.co_counselors.through.objects.filter(user_id=user.pk).values("case_id")
    mine = selectors.case_list_for_user(user).filter(
        Q(lead_counselor_id=user.pk) | Q(pk__in=co_counseled), status__in=OPEN_STATUSES
    )
    return (
        _with_follow_up(mine)
        .annotate(priority_rank=_PRIORITY_RANK)
        .prefetch_related("topics")
        .order_by("priority_rank", "opened_at")
    )


def overdue_follow_ups(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Of `cases` (annotated by `_with_follow_up`), those whose follow-up date has come."""
    return cases.filter(next_follow_up__lte=timezone.localdate()).order_by("next_follow_up")


def holds_due(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Held cases whose resume-by date is past or within a week."""
    horizon = timezone.localdate() + HOLD_LOOKAHEAD
    return cases.filter(status=CaseStatus.ON_HOLD, resume_by__lte=horizon).order_by("resume_by")


@dataclass
class BoardColumn:
    status: str
    label: str
    cases: list[Case]


def board_columns(user: User, desk: Desk) -> list[BoardColumn]:
    """The desk's open cases the user may see, one column per status, oldest first."""
    cases = _with_follow_up(
        selectors.case_list_for_user(user).filter(desk=desk, status__in=OPEN_STATUSES)
    ).order_by("opened_at", "pk")
    by_status: dict[str, list[Case]] = {status: [] for status in OPEN_STATUSES}
    for case in cases:
        # Only the queue offers buttons (assign, take); the other columns link to the case.
        case.board_actions = (
            available_actions(user, case) if case.status == CaseStatus.INTAKE else set()
        )
        by_status[case.status].append(case)
    return [
        BoardColumn(status=status, label=CaseStatus(status).label, cases=by_status[status])
        for status in OPEN_STATUSES
    ]


def case_search(user: User, text: str) -> QuerySet[Case]:
    """Cases the user may see whose number, title or client name matches `text`."""
    key = search_key(text)
    if not key:
        return Case.objects.none()
    plain = normalize_text(text)
    return selectors.case_list_for_user(user).filter(
        Q(number__icontains=plain)
        | Q(title__icontains=plain)
        | Q(client__name_search__contains=key)
        | Q(client__name_kana_search__contains=key)
    )


def client_outcomes_for_user(user: User, client: Client) -> QuerySet[ClientOutcome]:
    """The client's reported figures, leaving out any tied to a case the user may not see."""
    visible = policy.cases_visible_to(user).values("pk")
    return (
        ClientOutcome.objects.filter(client=client)
        .filter(Q(case__isnull=True) | Q(case__in=visible))
        .select_related("case")
        .order_by("reported_on", "pk")
    )


# --- desk specifics -------------------------------------------------------------------------

DETAIL_DESKS = ("subcontract", "ip")


def desk_details(case: Case) -> dict[str, Any] | None:
    """The dispute or IP desk's details of `case` (None at other desks), with the novelty
    grace-period deadline of an IP case and how urgent it is."""
    code = case.desk.code
    if code not in DETAIL_DESKS:
        return None
    model = SubcontractDetails if code == "subcontract" else IpDetails
    details = model.objects.filter(case=case).first()
    result: dict[str, Any] = {"desk": code, "details": details}
    if code == "ip" and details is not None:
        labels = dict(IpRight.choices)
        result["rights"] = [str(labels.get(right, right)) for right in details.rights_sought]
    if code == "ip" and details is not None and details.invention_disclosed_on:
        deadline = grace_period_deadline(details.invention_disclosed_on)
        days_left = (deadline - timezone.localdate()).days
        result.update(
            deadline=deadline,
            days_left=days_left,
            urgency=(
                "passed"
                if days_left < 0
                else "urgent"
                if days_left <= min(GRACE_PERIOD_ALERT_DAYS)
                else "soon"
                if days_left <= max(GRACE_PERIOD_ALERT_DAYS)
                else ""
            ),
        )
    return result


# --- what the user may do on a case -------------------------------------------------------

_ACTION_OF_TRANSITION = {
    "assign": policy.Action.ASSIGN,
    "hold": policy.Action.HOLD,
    "resume": policy.Action.RESUME,
    "close": policy.Action.CLOSE,
    "reopen": policy.Action.REOPEN,
}
_SESSION_STATUSES = {
    CaseStatus.ASSIGNED,
    CaseStatus.ACTIVE,
    CaseStatus.DISPATCH,
    CaseStatus.ON_HOLD,
}


def available_actions(user: User, case: Case) -> set[str]:
    """Buttons to offer: the user's role allows the action and the state machine has it."""
    allowed = policy.allowed_actions(user, case)
    offered = {
        name
        for name, action in _ACTION_OF_TRANSITION.items()
        if action in allowed and case.status in TRANSITIONS[name]
    }
    if "assign" not in offered and policy.can_self_assign(user, case):
        offered.add("take")
    if policy.Action.LOG_SESSION in allowed and case.status in _SESSION_STATUSES:
        offered.add("log_session")
    if policy.Action.EDIT in allowed and case.status != CaseStatus.CLOSED:
        offered.add("edit")
    if policy.Action.READ_HISTORY in allowed:
        offered.add("read_history")
    return offered


# --- the case timeline --------------------------------------------------------------------


@dataclass
class TimelineEntry:
    kind: str  # session | assignment | transition | history | referral | other
    at: dt.datetime
    by: Any = None
    obj: Any = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""


def _label(model: type, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # m2m through history or a removed field: show the name
        return name


def _display(model: type, name: str, value: Any, names: dict[str, dict[Any, str]]) -> str:
    if value in (None, "", []):
        return "—"
    try:
        model_field = model._meta.get_field(name)
    except Exception:
        model_field = None
    if isinstance(value, list):  # m2m rows: [{"case": 1, "topic": "finance"}, …]
        lookup = names.get(name, {})
        parts = [lookup.get(key, str(key)) for key in _m2m_keys(value)]
        return "、".join(parts) or "—"
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def _m2m_keys(rows: list[dict[str, Any]]) -> list[Any]:
    keys = []
    for row in rows:
        other = [v for k, v in row.items() if k not in ("case", "id", "history", "m2m_history_id")]
        if other:
            keys.append(other[-1])
    return keys


def _history_entries(case: Case) -> list[TimelineEntry]:
    records = list(case.history.select_related("history_user").order_by("history_date"))
    raw: list[tuple[Any, list[Any]]] = []
    for previous, record in pairwise(records):
        delta = record.diff_against(previous)
        changes = [c for c in delta.changes if c.field not in _QUIET_HISTORY_FIELDS]
        settling = (
            previous.history_type == "+"
            and record.history_date - previous.history_date < _CREATION_SETTLES
        )
        if settling and all(c.field in ("topics", "co_counselors") for c in changes):
            continue  # the topics and counselors set as part of creating the case
        if changes:
            raw.append((record, changes))
    names = _m2m_names(raw)
    entries = []
    for record, changes in raw:
        entries.append(
            TimelineEntry(
                kind="history",
                at=record.history_date,
                by=record.history_user,
                text=record.history_change_reason or "",
                changes=[
                    {
                        "field": _label(Case, c.field),
                        "old": _display(Case, c.field, c.old, names),
                        "new": _display(Case, c.field, c.new, names),
                    }
                    for c in changes
                ],
            )
        )
    return entries


def _m2m_names(raw: list[tuple[Any, list[Any]]]) -> dict[str, dict[Any, str]]:
    """Readable names for the topic codes and user ids that m2m history rows hold."""
    codes: set[Any] = set()
    user_ids: set[Any] = set()
    for _record, changes in raw:
        for change in changes:
            for value in (change.old, change.new):
                if not isinstance(value, list):
                    continue
                if change.field == "topics":
                    codes.update(_m2m_keys(value))
                elif change.field == "co_counselors":
                    user_ids.update(_m2m_keys(value))
    return {
        "topics": dict(Topic.objects.filter(code__in=codes).values_list("code", "name")),
        "co_counselors": {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)},
    }


def _extension_entries(user: User, case: Case) -> list[TimelineEntry]:
    """Entries other apps contribute (referrals, dispatches) when they offer a selector."""
    entries: list[TimelineEntry] = []
    for provider in extension_callables("referral_timeline_entries", "dispatch_timeline_entries"):
        for item in provider(user, case) or ():
            at = item.get("at") if isinstance(item, dict) else getattr(item, "at", None)
            if at is None:
                continue
            if isinstance(at, dt.date) and not isinstance(at, dt.datetime):
                at = timezone.make_aware(dt.datetime.combine(at, dt.time()))
            text = item.get("text") if isinstance(item, dict) else getattr(item, "text", "")
            by = item.get("by") if isinstance(item, dict) else getattr(item, "by", None)
            entries.append(
                TimelineEntry(kind="other", at=at, by=by, obj=item, text=str(text or item))
            )
    return entries


def case_timeline(user: User, case: Case) -> list[TimelineEntry]:
    """Sessions, assignments, status changes and (for those who may) history, newest first."""
    entries: list[TimelineEntry] = []
    sessions = (
        ConsultationSession.objects.filter(case=case)
        .select_related("office", "created_by")
        .prefetch_related("topics", "counselors", "amendments")
    )
    for session in sessions:
        entries.append(
            TimelineEntry(kind="session", at=session.started_at, by=session.created_by, obj=session)
        )
    for assignment in case.assignments.select_related("counselor", "assigned_by"):
        entries.append(
            TimelineEntry(
                kind="assignment",
                at=assignment.assigned_at,
                by=assignment.assigned_by,
                obj=assignment,
                text=assignment.reason,
            )
        )
    for transition in case.transitions.select_related("by"):
        if transition.action == "assign":
            continue  # the assignment entry says it with more detail
        entries.append(
            TimelineEntry(
                kind="transition",
                at=transition.at,
                by=transition.by,
                obj=transition,
                text=transition.reason,
            )
        )
    if policy.can(user, policy.Action.READ_HISTORY, case):
        entries.extend(_history_entries(case))
    entries.extend(_extension_entries(user, case))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


# --- what other apps contribute -----------------------------------------------------------


def extension_callables(*names: str) -> list[Callable[..., Any]]:
    """Selectors of the referrals and experts apps with these names, where they exist."""
    found = []
    for module_name in ("casebook.referrals.selectors", "casebook.experts.selectors"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in names:
            function = getattr(module, name, None)
            if callable(function):
                found.append(function)
    return found


def board_extras(user: User, desk: Desk) -> list[tuple[str, list[Any], bool]]:
    """(label, items, overdue?) lists of the desk from the apps that own them: incoming and
    overdue referrals, late visit reports."""
    lists = {
        "incoming_referrals_for_desk": (_("incoming referrals"), False),
        "overdue_referrals_for_desk": (_("overdue referrals"), True),
        "late_visit_reports_for_desk": (_("late visit reports"), True),
    }
    extras = []
    for name, (label, overdue) in lists.items():
        for function in extension_callables(name):
            items = list(function(user, desk) or ())
            extras.append((str(label), items, overdue))
    return extras
