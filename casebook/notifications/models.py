"""The inbox, e-mail preferences, reminder occasions and the runs of the scheduled jobs.

A notification stores what it is about (kind, subject, plain parameters), never the text of a
case: the text is rendered for its reader when shown or mailed, after the subject was
re-checked against the reader's visibility (docs/notifications.md).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from casebook.common.models import optional_fk


def now() -> dt.datetime:
    """`timezone.now()` looked up on each call (the demo replays the past by setting it)."""
    return timezone.now()


class Delivery(models.TextChoices):
    """How a user wants the e-mail of one kind of notification."""

    IMMEDIATELY = "immediately", _("immediately")
    DIGEST = "digest", _("in the daily digest")
    OFF = "off", _("no e-mail")


class MailState(models.TextChoices):
    """Where a notification's e-mail stands."""

    NONE = "", _("no e-mail")
    IMMEDIATE = "immediate", _("to be mailed now")
    DIGEST = "digest", _("waiting for the digest")
    SENT = "sent", _("mailed")
    WITHHELD = "withheld", _("not mailed (no longer visible, read, or no address)")
    FAILED = "failed", _("mailing failed")


class ReminderOccasion(models.Model):
    """One occasion of a reminder, recorded once: the unique key is what makes it once."""

    key = models.CharField(_("occasion"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=64)
    subject_type = models.CharField(_("about (type)"), max_length=64)
    subject_id = models.PositiveBigIntegerField(_("about (id)"))
    due_on = models.DateField(_("due on"))
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    created_at = models.DateTimeField(_("recorded at"), default=now)
    run = models.ForeignKey(
        "JobRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="occasions"
    )

    class Meta:
        verbose_name = _("reminder occasion")
        verbose_name_plural = _("reminder occasions")
        indexes = [models.Index(fields=["-created_at", "-id"], name="occasion_newest")]

    def __str__(self) -> str:
        return self.key


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=64)
    subject_type = models.CharField(_("about (type)"), max_length=64)
    subject_id = models.PositiveBigIntegerField(_("about (id)"))
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    occasion = optional_fk(ReminderOccasion, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(_("created"), default=now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    mail_state = models.CharField(
        _("e-mail"), max_length=10, choices=MailState.choices, blank=True, default=""
    )
    mailed_at = models.DateTimeField(_("mailed"), null=True, blank=True)
    mail_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["occasion", "recipient"],
                condition=Q(occasion__isnull=False),
                name="one_notification_per_occasion_and_recipient",
            ),
        ]
        indexes = [
            # The inbox (newest first) and its unread filter and count.
            models.Index(fields=["recipient", "-created_at", "-id"], name="inbox_newest"),
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=Q(read_at__isnull=True),
                name="inbox_unread",
            ),
            # The mail jobs read only what waits for them.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(mail_state="immediate"),
                name="mail_immediate_queue",
            ),
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(mail_state="digest"),
                name="mail_digest_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id} ({self.subject_type} {self.subject_id})"

    @property
    def read(self) -> bool:
        return self.read_at is not None


class NotificationSettings(models.Model):
    """A user's e-mail choices: one delivery per kind, and whether the daily digest is wanted.

    Kinds missing from `deliveries` use the default (the digest).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    deliveries = models.JSONField(_("e-mail per kind"), default=dict, blank=True)
    digest_enabled = models.BooleanField(_("daily digest"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user)


class DigestDelivery(models.Model):
    """The daily digest of one user on one day: at most one (the unique pair)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    day = models.DateField(_("date of the digest"))
    items = models.PositiveIntegerField(_("items"), default=0)
    sent_at = models.DateTimeField(_("sent at"), default=now)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_user_and_day")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"


class JobState(models.Model):
    """Where a scheduled job stands: the last slot it completed and who holds it now.

    A runner takes the job by a conditional update of its lease (never two at once); a
    runner that died leaves a lease that simply expires.
    """

    name = models.CharField(max_length=64, unique=True)
    last_slot = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    retry_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name


class JobRunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("finished with errors")
    INTERRUPTED = "interrupted", _("interrupted")


class JobRun(models.Model):
    """One run of a scheduled job, as the admin and auditor screen lists it."""

    job = models.CharField(_("job"), max_length=64)
    slot = models.DateTimeField(_("scheduled for"))
    started_at = models.DateTimeField(_("started"), default=now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=JobRunStatus.choices, default=JobRunStatus.RUNNING
    )
    sent = models.PositiveIntegerField(pgettext_lazy("count", "sent"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    detail = models.TextField(_("details"), blank=True)
    worker = models.CharField(_("worker"), max_length=100, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [
            models.Index(fields=["-started_at", "-id"], name="jobrun_newest"),
            models.Index(fields=["job", "-started_at", "-id"], name="jobrun_job_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.slot:%Y-%m-%d %H:%M}"
