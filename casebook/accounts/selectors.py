"""Reads of staff and desks. Which desks a user may see is the case policy's desk rule
(`intake.policy.can_see_desk` / `visible_desks_q`); the getter here is the one every desk
screen, desk list and desk socket uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from casebook.accounts import policy
from casebook.accounts.models import Desk, DeskMembership, DeskRole, SecurityEvent, User
from casebook.common.days import on_days
from casebook.common.paging import PAGE_SIZE, Page, page_of
from casebook.common.prepared import PreparedRead

CASE_WORK_ROLES = (DeskRole.COUNSELOR, DeskRole.COORDINATOR, DeskRole.EXIT_TEAM)


def active_staff_get(*, pk: Any) -> User:
    """Any active login; whether they may be named on a case is decided by the services."""
    return User.objects.get(pk=pk, is_active=True)


def active_staff_in(*, pks: Iterable[Any], loaded: Iterable[User] = ()) -> dict[Any, User]:
    """{pk: user} of the active logins among `pks`, in one query (a missing pk is absent).
    `loaded`: users read in this request (the login making it), taken as they are when
    active; the query asks only about the others, and none is sent when no other is named."""
    wanted = list(pks)
    found = {user.pk: user for user in loaded if user.pk in wanted and user.is_active}
    others = [pk for pk in wanted if pk not in found]
    if others:
        found |= {user.pk: user for user in User.objects.filter(pk__in=others, is_active=True)}
    return found


def active_desk_get(*, code: str) -> Desk:
    """Any active desk (a referral names the desk it goes to, seen or not)."""
    return Desk.objects.get(code=code, active=True)


def case_workers() -> QuerySet[User]:
    """Staff who may counsel on cases: an active membership in a case-working role."""
    return User.objects.filter(
        is_active=True,
        memberships__active=True,
        memberships__role__in=CASE_WORK_ROLES,
    ).distinct()


def desk_case_workers(*, desk: Desk, include: Iterable[User | None] = ()) -> QuerySet[User]:
    """People who may lead or attend a case of `desk` (plus `include`, e.g. its current
    counselors, who stay choosable after they left the desk), by their reading."""
    condition = Q(
        memberships__desk=desk, memberships__role__in=CASE_WORK_ROLES, memberships__active=True
    )
    extra = [user.pk for user in include if user is not None]
    if extra:
        condition |= Q(pk__in=extra)
    return (
        User.objects.filter(condition, is_active=True)
        .distinct()
        .order_by("display_name_kana", "username")
    )


def desk_coordinator_ids(*, desk_ids: Iterable[int]) -> dict[int, set[int]]:
    """{desk id: the ids of its active coordinators} for `desk_ids`, in one query (the
    reminders copy the coordinators of the desk concerned)."""
    by_desk: dict[int, set[int]] = {}
    for desk_id, user_id in DeskMembership.objects.filter(
        desk_id__in=set(desk_ids), role=DeskRole.COORDINATOR, active=True
    ).values_list("desk_id", "user_id"):
        by_desk.setdefault(desk_id, set()).add(user_id)
    return by_desk


def desk_list_for_user(*, user: User) -> QuerySet[Desk]:
    """The desks whose boards and lists `user` may see, in their display order."""
    from casebook.intake import policy

    return Desk.objects.filter(policy.visible_desks_q(user))


def desks_shown_to(*, user: User) -> list[Desk]:
    """`desk_list_for_user` read, its statement compiled once per login's facts
    (`intake.policy.per_viewer`, a `PreparedRead`): the board links of my cases and of the
    boards, drawn on every request of those pages."""
    # The memo per login is the intake policy's; accounts does not import intake at load.
    from casebook.intake.policy import per_viewer

    read = per_viewer(
        user,
        ("desks shown",),
        lambda: PreparedRead(Desk, lambda: desk_list_for_user(user=user), args=()),
    )
    return read()


def desk_get_for_user(*, user: User, code: str) -> Desk:
    """The desk `code` if `user` may see it, else 404 (the one desk getter of every screen)."""
    desk = desk_list_for_user(user=user).filter(code=code).first()
    if desk is None:
        raise Http404("no such desk")
    return desk


# --- the security events ------------------------------------------------------------------

SECURITY_EVENT_PAGE = 50


def security_event_page(
    *,
    user: User,
    number: int = 1,
    username: str = "",
    kind: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Page:
    """One page of the logins, logouts, failed logins, lockouts and token exchanges, newest
    first, filtered (managers and auditors; docs/security.md, "Audit screens")."""
    policy.require_audit_trail(user)
    rows = SecurityEvent.objects.select_related("user").order_by("-at", "-id")
    if username:
        rows = rows.filter(username=username)
    if kind:
        rows = rows.filter(kind=kind)
    rows = rows.filter(on_days("at", since, until))
    return page_of(rows, number=number, size=SECURITY_EVENT_PAGE)


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class HistoryRow:
    at: dt.datetime
    by: User | None
    kind: str
    reason: str
    changes: list[FieldChange]


def object_history_page(*, user: User, obj: Any, number: int = 1) -> Page:
    """One page of `obj`'s history rows (django-simple-history), newest first, each with what
    it changed against the row before it: who, when, which field, before → after. `obj` was
    fetched by its app's getter; the rows are read in one query (one row more than the page
    is both the next page's sign and the base of the page's oldest change)."""
    policy.require_audit_trail(user)
    number = max(number, 1)
    start = (number - 1) * PAGE_SIZE
    rows = list(
        obj.history.select_related("history_user").order_by("-history_date", "-history_id")[
            start : start + PAGE_SIZE + 1
        ]
    )
    fields = [f for f in obj.history.model.tracked_fields if f.name != "id"]
    shown = [
        HistoryRow(
            at=row.history_date,
            by=row.history_user,
            kind=row.get_history_type_display(),
            reason=row.history_change_reason or "",
            changes=_changes(fields, row, rows[index + 1] if index + 1 < len(rows) else None),
        )
        for index, row in enumerate(rows[:PAGE_SIZE])
    ]
    return Page(rows=shown, number=number, has_next=len(rows) > PAGE_SIZE)


def _changes(fields: list[Any], row: Any, older: Any | None) -> list[FieldChange]:
    changes = []
    for field in fields:
        after = _shown(field, getattr(row, field.attname))
        before = _shown(field, getattr(older, field.attname)) if older is not None else None
        if older is not None and before == after:
            continue
        if older is None and after in (None, ""):
            continue
        changes.append(FieldChange(field=str(field.verbose_name), before=before, after=after))
    return changes


def _shown(field: Any, value: Any) -> Any:
    """A choice by its label, anything else as stored (a relation by its id)."""
    if field.choices and value is not None:
        return dict(field.flatchoices).get(value, value)
    return value
