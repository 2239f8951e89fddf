"""Who may see which notification and the record of the scheduled jobs.

A notification is its recipient's alone; what it is about is re-checked through the policy
of the app that owns the subject (the notice subjects of the extension registry) every time
it is shown or mailed, so a notification never outlives its reader's access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casebook.accounts.models import OrgRole
from casebook.common.errors import ActionNotPermitted

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.notifications.models import Notification

JOB_RUNS_RULE = _("only administrators, managers and auditors read the record of scheduled jobs")


def inbox_of(user: User) -> int | None:
    """The recipient whose notifications `user` reads: their own, while active and logged
    in; None: no inbox."""
    if not user.is_authenticated or not user.is_active:
        return None
    return user.pk


def recipient_notifications_q(recipient_id: int) -> Q:
    """The notifications of the inbox of `recipient_id` (`inbox_of`)."""
    return Q(recipient_id=recipient_id)


def visible_notifications_q(user: User) -> Q:
    recipient = inbox_of(user)
    return Q(pk__in=[]) if recipient is None else recipient_notifications_q(recipient)


def can_read_job_runs(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.org_role in (OrgRole.ADMIN, OrgRole.MANAGER, OrgRole.AUDITOR)


def require_job_runs(user: User) -> None:
    if not can_read_job_runs(user):
        raise ActionNotPermitted(str(JOB_RUNS_RULE))


def offered_actions(user: User, notification: Notification) -> set[str]:
    """What a screen may offer on one of the user's notifications."""
    if notification.recipient_id != user.pk:
        return set()
    return {"open"} | ({"read"} if notification.read_at is None else set())
