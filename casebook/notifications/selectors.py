"""Reads of the inbox and of the job record, already filtered by the policy; never writing.

What a notification is about is re-checked for its reader on every read: one question per
kind of subject for a whole page (the notice subjects of the extension registry), so a page
costs the same whatever the inbox holds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from casebook.common.extensions import registry
from casebook.common.prepared import PreparedRead
from casebook.intake import policy as case_policy
from casebook.notifications import kinds, policy
from casebook.notifications.models import JobRun, JobState, Notification, NotificationSettings

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.intake.models import Case

PAGE_SIZE = 25
TRAY_SIZE = 8
# The badge counts up to here and shows "99+" beyond: the count stays bounded.
UNREAD_COUNT_CAP = 100
CASE_SUBJECT = "intake.case"


@dataclass(frozen=True)
class InboxEntry:
    """A notification as its reader may see it now."""

    id: int
    kind: str
    kind_label: str
    text: str
    url: str
    read: bool
    created_at: dt.datetime
    gone: bool
    subject_type: str
    subject_id: int
    actions: frozenset[str] = frozenset()

    @property
    def open_url(self) -> str:
        return reverse("notifications:open", args=[self.id])

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "url": self.url or None,
            "read": self.read,
            "created_at": self.created_at,
        }


def notification_list_for_user(*, user: User, unread: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first (index `inbox_newest` / `inbox_unread`)."""
    queryset = Notification.objects.filter(policy.visible_notifications_q(user))
    if unread:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.order_by("-created_at", "-id")


def notification_get_for_user(*, user: User, pk: Any) -> Notification:
    """One of the user's own notifications, else 404 (another's is not theirs to know of)."""
    try:
        return notification_list_for_user(user=user).get(pk=pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404("no such notification") from None


def notification_page(
    *, user: User, unread: bool = False, before: Notification | None = None, size: int = PAGE_SIZE
) -> tuple[list[Notification], bool]:
    """One page of the inbox after `before` (keyset: served by the index), and whether more
    follow."""
    queryset = notification_list_for_user(user=user, unread=unread)
    if before is not None:
        queryset = queryset.filter(
            Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, pk__lt=before.pk)
        )
    rows = list(queryset[: size + 1])
    return rows[:size], len(rows) > size


# The nav's badge on every page: an inbox's unread notifications, up to the cap, as a
# statement compiled once per process, the recipient's id its argument. Building and compiling
# the count through the ORM was most of the nav's Python (docs/performance.md, "Statements
# compiled once").
_UNREAD_UP_TO_THE_CAP = PreparedRead(
    Notification,
    lambda recipient_id: (
        Notification.objects.filter(
            policy.recipient_notifications_q(recipient_id), read_at__isnull=True
        )
        .order_by()
        .values_list("pk")[:UNREAD_COUNT_CAP]
    ),
    args=(int,),
)


def unread_count(*, user: User) -> int:
    """Unread notifications, counted up to UNREAD_COUNT_CAP."""
    recipient = policy.inbox_of(user)
    return 0 if recipient is None else len(_UNREAD_UP_TO_THE_CAP(recipient))


def subject_titles(
    *, user: User, subjects: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    """{(type, id): title} for the subjects `user` may see now; the others are left out."""
    by_type: dict[str, set[int]] = defaultdict(set)
    for subject_type, subject_id in subjects:
        by_type[subject_type].add(subject_id)
    titles: dict[tuple[str, int], str] = {}
    for subject_type, ids in by_type.items():
        subject = registry.subject_for(subject_type)
        if subject is None:
            continue
        for subject_id, title in subject.titles(user, sorted(ids)).items():
            titles[(subject_type, subject_id)] = title
    return titles


def subject_url(subject_type: str, subject_id: int) -> str:
    subject = registry.subject_for(subject_type)
    return subject.url(subject_id) if subject is not None else ""


def inbox_entries(*, user: User, notifications: Sequence[Notification]) -> list[InboxEntry]:
    """The notifications as `user` may read them now, texts in the active language."""
    titles = subject_titles(
        user=user, subjects=[(n.subject_type, n.subject_id) for n in notifications]
    )
    entries = []
    for notification in notifications:
        title = titles.get((notification.subject_type, notification.subject_id))
        gone = title is None
        entries.append(
            InboxEntry(
                id=notification.pk,
                kind=notification.kind,
                kind_label=kinds.kind_label(notification.kind),
                text=kinds.gone_text()
                if gone
                else kinds.render_text(notification.kind, title, notification.params),
                url="" if gone else subject_url(notification.subject_type, notification.subject_id),
                read=notification.read_at is not None,
                created_at=notification.created_at,
                gone=gone,
                subject_type=notification.subject_type,
                subject_id=notification.subject_id,
                actions=frozenset(policy.offered_actions(user, notification)),
            )
        )
    return entries


def restricted_cases_shown(*, user: User, entries: Sequence[InboxEntry]) -> list[Case]:
    """The restricted cases a list of entries names (by number): the caller logs the read."""
    ids = [e.subject_id for e in entries if e.subject_type == CASE_SUBJECT and not e.gone]
    if not ids:
        return []
    return list(
        case_policy.cases_visible_to(user)
        .filter(pk__in=ids, confidentiality="restricted")
        .only("pk", "confidentiality")
    )


def job_states(*, user: User) -> dict[str, JobState]:
    """Where each scheduled job stands, by name (for those who may read the job record)."""
    policy.require_job_runs(user)
    return {state.name: state for state in JobState.objects.all()}


def inbox_entry_for_user(*, user: User, notification: Notification) -> InboxEntry:
    return inbox_entries(user=user, notifications=[notification])[0]


def live_notification_for_user(*, user: User, pk: int) -> dict[str, Any] | None:
    """What the notifications socket sends about a new notification, or None when it is not
    (or no longer) the user's to see. Call inside `translation.override` of the socket."""
    from casebook.intake.selectors.live import case_snapshot_for_user

    notification = notification_list_for_user(user=user).filter(pk=pk).first()
    if notification is None:
        return None
    entry = inbox_entry_for_user(user=user, notification=notification)
    if entry.gone:
        return None
    case = None
    if notification.subject_type == CASE_SUBJECT:
        snapshot = case_snapshot_for_user(user=user, case_id=notification.subject_id)
        if snapshot is None:
            return None
        case = snapshot.as_json()
    return {
        "type": "notification",
        "id": entry.id,
        "kind": entry.kind,
        "text": entry.text,
        "url": entry.open_url,
        "case": case,
        "unread": unread_count(user=user),
    }


def settings_for_user(*, user: User) -> NotificationSettings:
    """The user's e-mail choices (defaults when they never changed them; not saved here)."""
    found = NotificationSettings.objects.filter(user_id=user.pk).first()
    return found if found is not None else NotificationSettings(user=user)


def job_run_list_for_user(*, user: User, job: str = "") -> QuerySet[JobRun]:
    """Every run of the scheduled jobs, newest first; 403 for those who may not read it."""
    policy.require_job_runs(user)
    queryset = JobRun.objects.all()
    if job:
        queryset = queryset.filter(job=job)
    return queryset.order_by("-started_at", "-id")


def job_run_page(
    *, user: User, job: str = "", before: int | None = None, size: int = 50
) -> tuple[list[JobRun], bool]:
    queryset = job_run_list_for_user(user=user, job=job)
    if before is not None:
        anchor = JobRun.objects.filter(pk=before).values_list("started_at", flat=True).first()
        if anchor is not None:
            queryset = queryset.filter(
                Q(started_at__lt=anchor) | Q(started_at=anchor, pk__lt=before)
            )
    rows = list(queryset[: size + 1])
    return rows[:size], len(rows) > size
