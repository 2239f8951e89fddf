"""Consultation sessions (相談記録), their amendments and the access log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casebook.common.history import HistoricalRecordsWithSets
from casebook.common.models import optional_fk
from casebook.intake.models.cases import Case, Confidentiality
from casebook.intake.models.clients import Client, Topic


class SessionMode(models.TextChoices):
    IN_PERSON_HQ = "in_person_hq", _("in person (head office)")
    IN_PERSON_SATELLITE = "in_person_satellite", _("in person (satellite)")
    ONSITE_VISIT = "onsite_visit", _("on-site visit")
    ONLINE = "online", _("online")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")


# A session is edited freely for 7 days after it was logged (docs/rules.md, "Clients, cases
# and sessions").
SESSION_EDIT_WINDOW = dt.timedelta(days=7)


class ConsultationSession(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sessions")
    # The case's desk and client, copied onto the session so that a year of sessions is
    # counted by desk and client without joining every case (docs/performance.md, "The FY
    # KPI report"). They always equal the case's: every writer that creates a session or
    # moves a case to another desk or client sets them (`services.sessions_follow_cases`),
    # and `manage.py check_session_keys` finds any that do not.
    desk = models.ForeignKey(
        "accounts.Desk", on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
        db_index=False,
    )
    # The case's confidentiality, copied for the same reason and kept by the same service
    # (`services.sessions_follow_cases`, called by every writer of a case's confidentiality):
    # the sessions lists read the visibility rule on the session row alone
    # (`policy.visible_sessions_q`; docs/performance.md, "The small desk's sessions").
    case_confidentiality = models.CharField(
        max_length=16, choices=Confidentiality.choices, editable=False
    )
    started_at = models.DateTimeField(_("started at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    mode = models.CharField(_("mode"), max_length=24, choices=SessionMode.choices)
    office = optional_fk("satellites.Office", related_name="sessions", verbose_name=_("office"))
    counselors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="sessions", verbose_name=_("counselors present")
    )
    client_attendees = models.CharField(_("client attendees"), max_length=200, blank=True)
    topics = models.ManyToManyField(Topic, related_name="sessions", blank=True)
    summary = models.TextField(_("summary"))
    advice = models.TextField(_("advice given"), blank=True)
    client_next_actions = models.TextField(_("client's next actions"), blank=True)
    our_next_actions = models.TextField(_("our next actions"), blank=True)
    follow_up_on = models.DateField(_("follow-up date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    # The copies of the case's keys are not part of what was recorded of the session.
    history = HistoricalRecordsWithSets(
        sets=["counselors", "topics"], excluded_fields=["desk", "client", "case_confidentiality"]
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("consultation session")
        verbose_name_plural = _("consultation sessions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1) & models.Q(duration_minutes__lte=720),
                name="session_duration_in_range",
            )
        ]
        indexes = [
            # The reminder job: sessions by follow-up date.
            models.Index(
                fields=["follow_up_on"],
                condition=models.Q(follow_up_on__isnull=False),
                name="session_follow_up_on",
            ),
            # Every session list, newest first, read page by page with a keyset cursor; the
            # reports' periods, whose counts by desk, client, mode and office read the index
            # alone (an index-only scan of a year's entries, wherever its rows lie in the
            # table: docs/performance.md, "The FY KPI report"). SQLite ignores the non-key
            # columns.
            models.Index(
                fields=["started_at", "id"],
                include=["desk", "client", "mode", "office"],
                name="session_started_keys",
            ),
            # A case's sessions newest first, and its latest one (my cases' follow-up date).
            models.Index(fields=["case", "started_at", "id"], name="session_case_started"),
            # A client's sessions before a day: the reports' new clients (docs/reports.md).
            models.Index(fields=["client", "started_at"], name="session_client_started"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.started_at:%Y-%m-%d}"

    def clean_fields(self, exclude: Iterable[str] | None = None) -> None:
        # The desk, client and confidentiality are the case's, which exists (its own key is
        # checked): no lookup of each again when a session is validated.
        super().clean_fields(exclude={*(exclude or ()), "desk", "client", "case_confidentiality"})

    def follow_case(self) -> None:
        """Copy the case's desk, client and confidentiality onto the session (before it is
        saved)."""
        self.desk_id = self.case.desk_id
        self.client_id = self.case.client_id
        self.case_confidentiality = self.case.confidentiality

    @property
    def needs_amendment(self) -> bool:
        """Past the edit window a correction is an amendment with a reason (docs/rules.md)."""
        return timezone.now() - self.created_at > SESSION_EDIT_WINDOW


class SessionSets(models.Model):
    """A session's keys the KPI report counts by, with its topics and counselors as arrays
    (`topic_ids`, `counselor_ids`: columns the report reads in SQL, not fields), on
    PostgreSQL only: a fiscal year's rows are one range of index `session_sets_started`, so
    that the topic and counselor breakdowns read the year's rows once instead of probing a
    many-to-many table once per session (docs/performance.md, "The FY KPI report").

    The table, its index and the triggers that keep it are created by the migration
    `intake/0026_session_sets`: PostgreSQL makes a session's row anew whenever the session is
    inserted, deleted or its instant, desk, client, mode or office changes, or a row of its
    topics or counselors is written, whoever writes. Django never writes it; other databases
    have no such table and the report joins the many-to-many tables there.
    """

    session = models.OneToOneField(
        ConsultationSession,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    started_at = models.DateTimeField()
    desk = models.ForeignKey(
        "accounts.Desk", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    client = models.ForeignKey(
        Client, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    mode = models.CharField(max_length=24)
    office = models.ForeignKey(
        "satellites.Office",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        managed = False
        db_table = "intake_session_sets"

    def __str__(self) -> str:
        return f"sets of session {self.session_id}"


class SessionAmendment(models.Model):
    """A correction to a session older than the edit window: the record keeps both sides."""

    session = models.ForeignKey(
        ConsultationSession, on_delete=models.CASCADE, related_name="amendments"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField(_("reason"))
    changes = models.JSONField(help_text="{field: [before, after]}")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"amendment of session {self.session_id}"

    def change_rows(self) -> list[dict[str, str]]:
        """The corrected fields with their values before and after, as the timeline shows
        them (sets as their keys, dates as stored)."""

        def shown(value: object) -> str:
            if isinstance(value, list):
                return "、".join(map(str, value)) or "—"
            return "—" if value in ("", None) else str(value)

        rows = []
        for name, (before, after) in sorted(self.changes.items()):
            try:
                label = str(ConsultationSession._meta.get_field(name).verbose_name)
            except FieldDoesNotExist:
                label = name
            rows.append({"field": label, "old": shown(before), "new": shown(after)})
        return rows


class AccessLog(models.Model):
    """Every read of a restricted case (docs/rules.md, "Access log")."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_logs")
    at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=40)

    class Meta:
        ordering = ["-at"]
        indexes = [
            # The access-log screen, newest first, and a reader's reads of one case (the
            # once-a-day check of the lists).
            models.Index(fields=["-at", "-id"], name="access_log_newest"),
            models.Index(fields=["user", "case", "at"], name="access_log_user_case"),
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.case_id} at {self.at:%Y-%m-%d %H:%M}"
