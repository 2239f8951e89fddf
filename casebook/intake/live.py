"""Reads behind the WebSockets (consumers.py), each filtered by the visibility policy.

A socket lives for hours, so nothing here trusts what was true when it opened: every event
re-reads the user (still active? still a member?) and the case (still visible to them?).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.accounts.models import Desk, User
from casebook.intake import policy
from casebook.intake.models import CaseStatus

KIND_LABELS = {
    "opened": gettext_lazy("new intake"),
    "assigned": gettext_lazy("lead counselor assigned"),
    "session_logged": gettext_lazy("session logged"),
    "session_updated": gettext_lazy("session corrected"),
    "held": gettext_lazy("put on hold"),
    "resumed": gettext_lazy("resumed"),
    "closed": gettext_lazy("closed"),
    "reopened": gettext_lazy("reopened"),
    "merged": gettext_lazy("sessions merged in"),
    "dispatch_started": gettext_lazy("expert dispatched"),
    "dispatch_ended": gettext_lazy("expert dispatch ended"),
    "updated": gettext_lazy("details edited"),
    "details_updated": gettext_lazy("desk details edited"),
    "dispatch_requested": gettext_lazy("expert dispatch requested"),
    "dispatch_approved": gettext_lazy("expert dispatch approved"),
    "dispatch_rejected": gettext_lazy("expert dispatch rejected"),
    "dispatch_cancelled": gettext_lazy("expert dispatch cancelled"),
    "dispatch_completed": gettext_lazy("expert dispatch completed"),
    "dispatch_visit_scheduled": gettext_lazy("expert visit scheduled"),
    "referral_sent": gettext_lazy("referral sent"),
    "referral_accepted": gettext_lazy("referral accepted"),
    "referral_declined": gettext_lazy("referral declined"),
    "referral_acknowledged": gettext_lazy("referral acknowledged by the partner"),
    "referral_outcome_reported": gettext_lazy("referral outcome reported"),
    "referral_updated": gettext_lazy("referral updated"),
    "referral_overdue": gettext_lazy("referral overdue"),
}


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


def live_user(user_id: int | None, session_key: str | None) -> User | None:
    """The user as stored now; None once deactivated or logged out (the session that opened
    the socket no longer names them)."""
    if user_id is None or not session_key:
        return None
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if str(session.get(SESSION_KEY, "")) != str(user_id):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def language_for(cookies: dict[str, str]) -> str:
    """The language the user chose on the site (its cookie), else the site default."""
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def board_desk_get_for_user(user: User, code: str) -> Desk:
    """The active desk `code` if `user` may watch its board, else 404: the board page's own
    rule (its members, managers and auditors), so the page and its socket never disagree."""
    from casebook.intake.views.queries import desk_get_for_user

    return desk_get_for_user(user, code)


def board_case_for_user(user: User, desk_code: str, case_id: int) -> CaseSnapshot | None:
    """The case as the board of `desk_code` may show it to `user` now; None when it is not
    theirs to see or not on this desk. 404 once they may no longer watch the board."""
    desk = board_desk_get_for_user(user, desk_code)
    snapshot = case_snapshot_for_user(user, case_id)
    if snapshot is None or snapshot.desk != desk.code:
        return None
    return snapshot


def board_case_ids_for_user(user: User, desk: Desk) -> set[int]:
    """Open cases of the desk that `user` can see now (what their board shows)."""
    return set(
        policy.cases_visible_to(user)
        .filter(desk=desk)
        .exclude(status=CaseStatus.CLOSED)
        .values_list("pk", flat=True)
    )


def case_snapshot_for_user(user: User, case_id: int) -> CaseSnapshot | None:
    """The case as `user` may see it now, or None when they may not (no access log: the
    socket only says that something changed; the page that shows the case logs its read)."""
    row = (
        policy.cases_visible_to(user)
        .filter(pk=case_id)
        .values_list("pk", "number", "title", "status", "desk__code", "lead_counselor_id")
        .first()
    )
    return CaseSnapshot(*row) if row else None


def presence_case_get_for_user(user: User, pk: int) -> CaseSnapshot:
    """The case whose page `user` opened, else 404."""
    snapshot = case_snapshot_for_user(user, pk)
    if snapshot is None:
        raise Http404("no such case")
    return snapshot


def display_name(user: User) -> str:
    return str(user)


def ui_labels(language: str) -> dict[str, str]:
    """Words the page needs even while its socket is down, sent when the socket opens."""
    with translation.override(language):
        return {
            "offline": _("Connection lost. Reconnecting…"),
            "gone": _("You can no longer see this case."),
            "changed": _("This case has changed since the page was loaded."),
            "reload": _("Reload"),
            "notifications": _("Notifications"),
            "dismiss": _("Dismiss"),
        }


def presence_text(people: list[dict], language: str) -> str:
    """ "Also on this case: A, B (editing)", or empty when nobody else is."""
    if not people:
        return ""
    with translation.override(language):
        names = [
            _("%(name)s (editing)") % {"name": p["name"]} if p["editing"] else p["name"]
            for p in people
        ]
        return _("Also on this case: %(names)s") % {"names": _(", ").join(names)}
