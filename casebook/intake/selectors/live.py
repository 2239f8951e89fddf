"""Reads behind the WebSockets (`intake/consumers.py`), each filtered by the policy.

A socket lives for hours, so nothing here trusts what was true when it opened: every event
re-reads the user (still active? still logged in?) and the case (still visible to them?).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import Http404
from django.urls import reverse

from casebook.accounts.models import Desk, User
from casebook.accounts.selectors import desk_get_for_user
from casebook.intake import policy
from casebook.intake.selectors.board import board_card_ids


@dataclass(frozen=True)
class CaseSnapshot:
    """What a socket may tell its user about a case they can see."""

    id: int
    number: str
    title: str
    status: str
    desk: str
    lead_counselor_id: int | None

    def as_json(self) -> dict:
        return {
            "url": reverse("case_detail", args=[self.id]),
            "id": self.id,
            "number": self.number,
            "title": self.title,
            "status": self.status,
            "desk": self.desk,
            "lead_counselor": self.lead_counselor_id,
        }


def live_user(*, user_id: int | None, session_key: str | None) -> User | None:
    """The user as stored now; None once deactivated or logged out (the session that opened
    the socket no longer names them)."""
    if user_id is None or not session_key:
        return None
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if str(session.get(SESSION_KEY, "")) != str(user_id):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def case_snapshot_for_user(*, user: User, case_id: int) -> CaseSnapshot | None:
    """The case as `user` may see it now, or None when they may not. (No access log: the
    socket only says that something changed; the page that shows the case logs its read.)"""
    row = (
        policy.cases_visible_to(user)
        .filter(pk=case_id)
        .values_list("pk", "number", "title", "status", "desk__code", "lead_counselor_id")
        .first()
    )
    return CaseSnapshot(*row) if row else None


def case_snapshot_get_for_user(*, user: User, case_id: int) -> CaseSnapshot:
    """The case whose page `user` opened, else 404."""
    snapshot = case_snapshot_for_user(user=user, case_id=case_id)
    if snapshot is None:
        raise Http404("no such case")
    return snapshot


def board_case_for_user(*, user: User, desk_code: str, case_id: int) -> CaseSnapshot | None:
    """The case as the board of `desk_code` may show it to `user` now; None when it is not
    theirs to see or not on this desk. 404 once they may no longer watch the board (the
    board page's own desk getter, so the page and its socket never disagree)."""
    desk = desk_get_for_user(user=user, code=desk_code)
    snapshot = case_snapshot_for_user(user=user, case_id=case_id)
    if snapshot is None or snapshot.desk != desk.code:
        return None
    return snapshot


def board_case_ids_for_user(*, user: User, desk: Desk) -> set[int]:
    """The open cases of the desk that `user`'s board shows now (the first cards of each
    column: bounded, whatever the backlog)."""
    return board_card_ids(user=user, desk=desk)
