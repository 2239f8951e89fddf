"""Reads of staff and desks."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

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


def desk_list_for_user(*, user: User) -> QuerySet[Desk]:
    """The desks whose boards and lists `user` may see, in their display order."""
    from casebook.intake import policy

    return Desk.objects.filter(policy.visible_desks_q(user))


def desk_get_for_user(*, user: User, code: str) -> Desk:
    """The desk `code` if `user` may see it, else 404 (the one desk getter of every screen)."""
    desk = desk_list_for_user(user=user).filter(code=code).first()
    if desk is None:
        raise Http404("no such desk")
    return desk
