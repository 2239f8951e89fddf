"""Demo inboxes: what the seeded twelve months left there, and today's reminders.

Runs after the other demos. The notifications their services stored are history: those of
earlier days are not mailed when the scheduler first starts, and those older than two weeks
read as read. Today's reminders are computed from the demo data like every morning; the
occasion keys make a second seed add nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from casebook.common.demo import DemoContext
from casebook.notifications.models import MailState, Notification
from casebook.notifications.services import reminders_run

READ_AFTER = dt.timedelta(days=14)


def seed(ctx: DemoContext) -> None:
    start_of_today = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    Notification.objects.filter(
        created_at__lt=start_of_today, mail_state__in=(MailState.IMMEDIATE, MailState.DIGEST)
    ).update(mail_state=MailState.NONE)
    Notification.objects.filter(
        created_at__lt=timezone.now() - READ_AFTER, read_at__isnull=True
    ).update(read_at=F("created_at") + dt.timedelta(hours=2))
    outcome = reminders_run(today=timezone.localdate())
    ctx.log(
        f"notifications: {Notification.objects.count()} in the inboxes, "
        f"{outcome.sent} reminder(s) sent today"
    )
