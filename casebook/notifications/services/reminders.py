"""The reminder job: ask every registered reminder source for the occasions due, and send each
occasion once.

Once is the database's promise, not the job's: each occasion is recorded under its unique
key in the transaction that stores its notifications, so a second run, a restarted run or
two runners at the same time send nothing twice (docs/notifications.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction

from casebook.accounts.models import User
from casebook.common.extensions import Reminder, registry
from casebook.notifications.models import JobRun, Notification, ReminderOccasion
from casebook.notifications.services.inbox import announce_on_commit, build_notifications

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)
KEY_BATCH = 500


@dataclass
class Outcome:
    """What a job run did: notifications or mails sent, errors met, and lines for the record."""

    sent: int = 0
    errors: int = 0
    lines: list[str] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.sent += other.sent
        self.errors += other.errors
        self.lines += other.lines


def subject_label(instance: object) -> str:
    return instance._meta.label_lower  # type: ignore[attr-defined]


def _recorded(keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), KEY_BATCH):
        chunk = keys[start : start + KEY_BATCH]
        found |= set(ReminderOccasion.objects.filter(key__in=chunk).values_list("key", flat=True))
    return found


@transaction.atomic
def reminder_send(*, reminder: Reminder, run: JobRun | None = None) -> int:
    """Record the occasion and notify those of its recipients who may see its subject now.

    Returns the notifications stored: 0 when the occasion was already recorded.
    """
    subject_type = subject_label(reminder.subject)
    try:
        with transaction.atomic():
            occasion = ReminderOccasion.objects.create(
                key=reminder.key,
                kind=reminder.kind,
                subject_type=subject_type,
                subject_id=reminder.subject.pk,
                due_on=reminder.due_on,
                run=run,
            )
    except IntegrityError:
        return 0
    subject = registry.subject_for(subject_type)
    if subject is None:
        raise LookupError(f"no notice subject is registered for {subject_type}")
    users = []
    for user in User.objects.filter(pk__in=reminder.recipient_ids, is_active=True).order_by("pk"):
        # Who may see it is asked now, at send time: access lost since is access lost.
        if reminder.subject.pk in subject.titles(user, [reminder.subject.pk]):
            users.append(user)
    notifications = build_notifications(
        users=users,
        kind=reminder.kind,
        subject_type=subject_type,
        subject_id=reminder.subject.pk,
        params_for={user.pk: reminder.params for user in users},
    )
    for notification in notifications:
        notification.occasion = occasion
    Notification.objects.bulk_create(notifications)
    occasion.recipients = len(notifications)
    occasion.save(update_fields=["recipients"])
    if reminder.on_fire is not None:
        reminder.on_fire()
    announce_on_commit(notifications)
    return len(notifications)


def reminders_run(*, today: dt.date, run: JobRun | None = None) -> Outcome:
    """Send every occasion due between `today` minus the catch-up window and `today`."""
    first_day = today - dt.timedelta(days=settings.CASEBOOK_REMINDER_CATCH_UP_DAYS)
    outcome = Outcome()
    for source in registry.sources():
        try:
            reminders = list(source.collect(first_day, today))
        except Exception as error:
            logger.exception("reminder source %s failed", source.kind)
            outcome.errors += 1
            outcome.lines.append(f"{source.kind}: {type(error).__name__}: {error}")
            continue
        recorded = _recorded([r.key for r in reminders])
        sent = occasions = 0
        for reminder in reminders:
            if reminder.key in recorded:
                continue
            try:
                sent += reminder_send(reminder=reminder, run=run)
                occasions += 1
            except Exception as error:
                logger.exception("reminder %s failed", reminder.key)
                outcome.errors += 1
                outcome.lines.append(f"{reminder.key}: {type(error).__name__}: {error}")
        outcome.sent += sent
        if occasions:
            outcome.lines.append(f"{source.kind}: {occasions} occasion(s), {sent} notification(s)")
    return outcome
