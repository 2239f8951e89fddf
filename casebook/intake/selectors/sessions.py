"""Reads of consultation sessions, through the cases their reader may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from casebook.accounts.models import User
from casebook.intake import policy
from casebook.intake.models import ConsultationSession


def session_list_for_user(*, user: User) -> QuerySet[ConsultationSession]:
    """Sessions of the cases the user may see."""
    return ConsultationSession.objects.filter(
        case__in=policy.cases_visible_to(user).values("pk")
    ).select_related("case", "case__desk", "office")


def session_get_for_user(*, user: User, pk: Any) -> ConsultationSession:
    """The session if `user` may see its case, else 404."""
    try:
        return session_list_for_user(user=user).get(pk=pk)
    except (ConsultationSession.DoesNotExist, ValueError, TypeError):
        raise Http404("no such session") from None
