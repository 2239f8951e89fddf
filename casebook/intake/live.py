"""What the WebSockets say (`consumers.py`): event labels, notification lines and the words a
page needs while its socket is down, in the user's language. The reads behind the sockets are
`intake/selectors/live.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from casebook.accounts.models import User

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


def language_for(cookies: dict[str, str]) -> str:
    """The language the user chose on the site (its cookie), else the site default."""
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


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
