"""Reads of staff and desks."""

from __future__ import annotations

from django.db.models import QuerySet

from casebook.accounts.models import Desk, DeskRole, User

CASE_WORK_ROLES = (DeskRole.COUNSELOR, DeskRole.COORDINATOR, DeskRole.EXIT_TEAM)


def active_staff_get(pk: int) -> User:
    """Any active login; whether they may be named on a case is decided by the services."""
    return User.objects.get(pk=pk, is_active=True)


def active_desk_get(code: str) -> Desk:
    return Desk.objects.get(code=code, active=True)


def case_workers() -> QuerySet[User]:
    """Staff who may counsel on cases: an active membership in a case-working role."""
    return User.objects.filter(
        is_active=True,
        memberships__active=True,
        memberships__role__in=CASE_WORK_ROLES,
    ).distinct()
