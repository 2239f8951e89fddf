"""The business-exit track (docs/exits.md): the decisions that put a case on and off the
track, its exit plan, the plan's milestones and the templates they are made from."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casebook.common.models import optional_fk
from casebook.exits.deadlines import Rule, Statute, breaks


class ExitPath(models.TextChoices):
    TURNAROUND = "turnaround", _("turnaround")
    SUCCESSION_FAMILY = "succession_family", _("succession within the family")
    SUCCESSION_EMPLOYEE = "succession_employee", _("succession to an employee")
    SUCCESSION_THIRD_PARTY = "succession_third_party", _("succession to a third party (M&A)")
    ORDERLY_CLOSURE = "orderly_closure", _("orderly closure")


class ExitStage(models.TextChoices):
    DIAGNOSIS = "diagnosis", _("diagnosis")
    PLANNING = "planning", _("planning")
    EXECUTION = "execution", _("execution")
    FOLLOW_UP = "follow_up", _("follow-up")
    DONE = "done", _("done")


class ExitOutcome(models.TextChoices):
    CONTINUED = "continued", _("business continued")
    SUCCEEDED = "succeeded", _("succeeded")
    CLOSED_ORDERLY = "closed_orderly", _("closed in an orderly way")
    BANKRUPTCY = "bankruptcy", _("bankruptcy")
    WITHDRAWN = "withdrawn", _("withdrawn")


class RiskFlag(models.TextChoices):
    EXCESS_DEBT = "excess_debt", _("excess debt")
    PERSONAL_GUARANTEE = "personal_guarantee", _("personal guarantee")
    EMPLOYEES_AFFECTED = "employees_affected", _("employees affected")
    TAX_ARREARS = "tax_arrears", _("tax arrears")
    LEASE_OBLIGATIONS = "lease_obligations", _("lease obligations")


# The topics that make a yorozu case eligible for the track (docs/rules.md, "Exit track").
ELIGIBLE_TOPICS = frozenset({"management_improvement", "succession", "closure"})
# The dates of an orderly closure the statutory deadlines are computed from.
CLOSURE_DATES = (
    "dissolution_resolved_on",
    "dissolved_on",
    "gazette_notice_on",
    "liquidation_report_approved_on",
)


class MilestoneTemplate(models.Model):
    """One milestone a new plan on `path` starts with; data an administrator edits."""

    path = models.CharField(_("path"), max_length=24, choices=ExitPath.choices)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    due_after_days = models.PositiveSmallIntegerField(
        _("due after (days)"),
        default=30,
        help_text=_("The milestone's first due date: this many days after the plan starts."),
    )
    statute = models.CharField(
        _("statutory step"),
        max_length=32,
        blank=True,
        choices=[(s.value, s.value) for s in Statute],
        help_text=_("The legal deadline this step is held to (orderly closures of companies)."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path", "order", "id"]
        verbose_name = _("milestone template")
        verbose_name_plural = _("milestone templates")
        constraints = [
            models.UniqueConstraint(fields=["path", "code"], name="unique_milestone_template")
        ]

    def __str__(self) -> str:
        return f"{self.get_path_display()}: {self.name}"


class ExitPlan(models.Model):
    """The plan of a case on the exit track: one per case, kept when the case leaves the track
    (the decisions say when) and taken up again when it comes back."""

    case = models.OneToOneField(
        "intake.Case", on_delete=models.PROTECT, related_name="exit_plan", verbose_name=_("case")
    )
    path = models.CharField(_("path"), max_length=24, choices=ExitPath.choices)
    risk_flags = models.JSONField(_("risk flags"), default=list, blank=True)
    stage = models.CharField(
        _("stage"), max_length=16, choices=ExitStage.choices, default=ExitStage.DIAGNOSIS
    )
    owner = optional_fk(
        settings.AUTH_USER_MODEL, related_name="exit_plans", verbose_name=_("owner")
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=ExitOutcome.choices, blank=True)
    outcome_on = models.DateField(_("outcome date"), null=True, blank=True)
    rechallenge_on = models.DateField(_("re-challenge follow-up"), null=True, blank=True)
    dissolution_resolved_on = models.DateField(_("dissolution resolved"), null=True, blank=True)
    dissolved_on = models.DateField(_("dissolution date"), null=True, blank=True)
    gazette_notice_on = models.DateField(_("gazette notice published"), null=True, blank=True)
    liquidation_report_approved_on = models.DateField(
        _("liquidation report approved"), null=True, blank=True
    )
    on_track = models.BooleanField(_("on the track"), default=True)
    started_on = models.DateField(_("started"))
    # How many milestones break a statutory deadline: kept by the services, so that the
    # dashboard lists the plans that do from an index.
    deadline_breaches = models.PositiveSmallIntegerField(default=0, editable=False)
    confidentiality_before = models.CharField(max_length=16, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("exit plan")
        verbose_name_plural = _("exit plans")
        indexes = [
            models.Index(fields=["on_track", "path", "stage"], name="exit_plan_board"),
            models.Index(
                fields=["-started_on", "-id"],
                condition=models.Q(deadline_breaches__gt=0),
                name="exit_plan_breaches",
            ),
            models.Index(fields=["outcome_on"], name="exit_plan_outcomes"),
            models.Index(fields=["rechallenge_on"], name="exit_plan_rechallenge"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.get_path_display()}"


class Milestone(models.Model):
    plan = models.ForeignKey(ExitPlan, on_delete=models.CASCADE, related_name="milestones")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    owner = optional_fk(
        settings.AUTH_USER_MODEL, related_name="exit_milestones", verbose_name=_("owner")
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    statute = models.CharField(_("statutory step"), max_length=32, blank=True)
    legal_deadline = models.DateField(_("legal deadline"), null=True, blank=True)
    deadline_rule = models.CharField(max_length=8, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan_id", "order", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="unique_plan_milestone")
        ]
        indexes = [
            # The dashboard and the reminders: open milestones by due date.
            models.Index(
                fields=["due_on", "id"],
                condition=models.Q(completed_on__isnull=True),
                name="exit_milestone_open_due",
            ),
            models.Index(
                fields=["legal_deadline"],
                condition=models.Q(completed_on__isnull=True),
                name="exit_milestone_open_legal",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def breaks_deadline(self) -> bool:
        """Planned (or done) on a day its statutory deadline does not allow."""
        return breaks(self.legal_deadline, self.deadline_rule, self.completed_on or self.due_on)

    @property
    def overdue(self) -> bool:
        return (
            self.completed_on is None
            and self.due_on is not None
            and self.due_on < timezone.localdate()
        )

    @property
    def after_rule(self) -> bool:
        return self.deadline_rule == Rule.AFTER


class ExitTrackDecision(models.Model):
    """Putting a case on the exit track or taking it off: who, when, why."""

    case = models.ForeignKey(
        "intake.Case", on_delete=models.CASCADE, related_name="exit_track_decisions"
    )
    on_track = models.BooleanField()
    path = models.CharField(max_length=24, choices=ExitPath.choices, blank=True)
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="exit_decision_case")]

    def __str__(self) -> str:
        return f"{self.case_id} {'on' if self.on_track else 'off'} {self.at:%Y-%m-%d}"


def milestone_due(started_on: dt.date, template: MilestoneTemplate) -> dt.date:
    return started_on + dt.timedelta(days=template.due_after_days)
