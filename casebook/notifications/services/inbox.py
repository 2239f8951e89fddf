"""Writes of the inbox: storing what reaches a user, marking it read, telling their sockets.

Every notification is stored in the transaction of the change that caused it, for the people
who may see its subject at that moment; their sockets hear of it once that transaction
commits (docs/notifications.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from casebook.accounts.models import User
from casebook.intake import policy as case_policy
from casebook.intake.events import send_on_commit, user_group
from casebook.notifications.models import Delivery, MailState, Notification
from casebook.notifications.services.preferences import deliveries_for_users

if TYPE_CHECKING:
    from casebook.intake.models import Case

CASE_SUBJECT = "intake.case"
_MAIL_STATE = {
    Delivery.IMMEDIATELY: MailState.IMMEDIATE,
    Delivery.DIGEST: MailState.DIGEST,
    Delivery.OFF: MailState.NONE,
}


def build_notifications(
    *,
    users: Iterable[User],
    kind: str,
    subject_type: str,
    subject_id: int,
    params_for: Mapping[int, Mapping[str, Any]] | None = None,
) -> list[Notification]:
    """Unsaved notifications of `kind` for `users`, each routed to e-mail by its preference."""
    users = list(users)
    deliveries = deliveries_for_users(users=users)
    params_for = params_for or {}
    return [
        Notification(
            recipient=user,
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            params=dict(params_for.get(user.pk, {})),
            mail_state=_MAIL_STATE[deliveries[user.pk].get(kind, Delivery.DIGEST)],
        )
        for user in users
    ]


def announce_on_commit(notifications: Iterable[Notification]) -> None:
    """Tell each recipient's sockets of their new notifications once the change commits."""
    messages = [
        (n.recipient_id, {"type": "notification.created", "notification_id": n.pk, "kind": n.kind})
        for n in notifications
    ]
    if not messages:
        return

    # The inbox has the notification: a page that missed it shows it on its next load.
    send_on_commit(lambda: [(user_group(user_id), message) for user_id, message in messages])


def inbox_changed_on_commit(user_id: int) -> None:
    """Tell the user's open pages to re-read their unread count (read elsewhere)."""
    send_on_commit(lambda: [(user_group(user_id), {"type": "inbox.changed"})])


def notifications_record_case_event(case: Case, kind: str, user_ids: frozenset[int]) -> None:
    """Registered case event listener: store `kind` about `case` for each named user who may
    see the case now (runs inside the transaction that published the event)."""
    users = [
        user
        for user in User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk")
        if case_policy.can_see_case(user, case)
    ]
    if not users:
        return
    params_for = (
        {user.pk: {"to_you": case.lead_counselor_id == user.pk} for user in users}
        if kind == "assigned"
        else None
    )
    notifications = Notification.objects.bulk_create(
        build_notifications(
            users=users,
            kind=kind,
            subject_type=CASE_SUBJECT,
            subject_id=case.pk,
            params_for=params_for,
        )
    )
    announce_on_commit(notifications)


@transaction.atomic
def notification_mark_read(*, notification: Notification, by: User) -> Notification:
    """Mark one of `by`'s notifications read (again: nothing changes)."""
    if notification.recipient_id != by.pk:
        raise ValueError("a notification is marked read by its recipient only")
    now = timezone.now()
    changed = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=now
    )
    if changed:
        notification.read_at = now
        inbox_changed_on_commit(by.pk)
    else:
        notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of `user` read; how many were unread."""
    changed = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if changed:
        inbox_changed_on_commit(user.pk)
    return changed
