"""Every write of the notifications app: the inbox, preferences, reminders, mail and jobs."""

from casebook.notifications.services.inbox import (
    announce_on_commit,
    notification_mark_read,
    notifications_mark_all_read,
    notifications_record_case_event,
)
from casebook.notifications.services.jobs import jobs_run_due, scheduled_jobs
from casebook.notifications.services.mail import (
    digest_send,
    mail_send_digests,
    mail_send_immediate,
)
from casebook.notifications.services.preferences import (
    digest_unsubscribe,
    notification_settings_update,
    unsubscribe_token,
    user_from_unsubscribe_token,
)
from casebook.notifications.services.reminders import Outcome, reminder_send, reminders_run

__all__ = [
    "Outcome",
    "announce_on_commit",
    "digest_send",
    "digest_unsubscribe",
    "jobs_run_due",
    "mail_send_digests",
    "mail_send_immediate",
    "notification_mark_read",
    "notification_settings_update",
    "notifications_mark_all_read",
    "notifications_record_case_event",
    "reminder_send",
    "reminders_run",
    "scheduled_jobs",
    "unsubscribe_token",
    "user_from_unsubscribe_token",
]
