"""Experts, patent attorneys, dispatch programs, dispatches and visits.

The rules: docs/rules.md, "Expert dispatch".

Models hold fields and database invariants only. Quotas, caps and double booking are
enforced by the services under row locks; the constraints here are the last line.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casebook.common.models import optional_fk

HALF_DAY = Decimal("0.5")
FULL_DAY = Decimal("1.0")
DAYS = {"max_digits": 6, "decimal_places": 1}


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class Qualification(models.TextChoices):
    SME_CONSULTANT = "sme_consultant", _("SME consultant")
    ENGINEER_PE = "engineer_pe", _("professional engineer")
    PATENT_ATTORNEY = "patent_attorney", _("patent attorney")
    LAWYER = "lawyer", _("lawyer")
    TAX_ACCOUNTANT = "tax_accountant", _("tax accountant")
    LABOUR_CONSULTANT = "labour_consultant", _("labour and social security consultant")
    FORMER_ENGINEER = "former_engineer", _("former engineer of a large company")
    OTHER = "other", _("other")


class TechnicalField(models.TextChoices):
    """Specialties beyond the consultation topics (the topic codes are specialties too)."""

    MACHINERY = "tech_machinery", _("machinery")
    ELECTRONICS = "tech_electronics", _("electrical and electronics")
    CHEMISTRY = "tech_chemistry", _("chemistry and materials")
    FOOD = "tech_food", _("food processing")
    SOFTWARE = "tech_software", _("software")
    BIOTECH = "tech_biotech", _("biotechnology")
    DESIGN = "tech_design", _("product design")


class Expert(models.Model):
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    name_search = models.CharField(max_length=200, editable=False, db_index=True)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    qualifications = models.JSONField(_("qualifications"), default=list, blank=True)
    specialties = models.JSONField(_("specialties"), default=list, blank=True)
    service_areas = models.JSONField(
        _("service areas"),
        default=list,
        blank=True,
        help_text=_("Municipalities served; the prefecture's name means all of it."),
    )
    day_rate_yen = models.PositiveIntegerField(_("day rate (yen)"))
    max_days_per_fy = models.DecimalField(_("max days per fiscal year"), **DAYS)
    registered_from = models.DateField(_("registered from"))
    registered_until = models.DateField(_("registered until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="expert_profile",
        verbose_name=_("login"),
    )
    calendar_token = models.CharField(
        max_length=64, unique=True, default=new_calendar_token, editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["calendar_token"])

    class Meta:
        ordering = ["name_search", "id"]
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_days_per_fy__gte=0), name="expert_max_days_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(registered_until__isnull=True)
                | models.Q(registered_until__gte=models.F("registered_from")),
                name="expert_registration_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_patent_attorney(self) -> bool:
        return Qualification.PATENT_ATTORNEY in (self.qualifications or [])


class ConflictRelation(models.TextChoices):
    ADVISOR = "advisor", _("advisor")
    EMPLOYER = "employer", _("employer")
    RELATIVE = "relative", _("relative")
    COMPETITOR_AGENT = "competitor_agent", _("agent of a competitor")


class ConflictDeclaration(models.Model):
    """A company the expert is related to: dispatching them there is refused."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="conflicts")
    corporate_number = models.CharField(_("corporate number"), max_length=13, blank=True)
    company_name = models.CharField(_("company name"), max_length=200)
    company_name_search = models.CharField(max_length=200, editable=False, db_index=True)
    relation = models.CharField(_("relation"), max_length=20, choices=ConflictRelation.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    declared_on = models.DateField(_("declared on"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["expert", "company_name_search"]
        verbose_name = _("conflict-of-interest declaration")
        verbose_name_plural = _("conflict-of-interest declarations")

    def __str__(self) -> str:
        return f"{self.expert} · {self.company_name} ({self.get_relation_display()})"


class DispatchProgram(models.Model):
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    funding_source = models.CharField(_("funding source"), max_length=200, blank=True)
    desk = models.ForeignKey(
        "accounts.Desk",
        on_delete=models.PROTECT,
        related_name="dispatch_programs",
        verbose_name=_("owning desk"),
    )
    quota_days = models.DecimalField(
        _("quota (days)"), null=True, blank=True, help_text=_("Empty: as needed"), **DAYS
    )
    max_days_per_client = models.DecimalField(
        _("max days per client"), null=True, blank=True, **DAYS
    )
    copay_ratio = models.DecimalField(
        _("co-payment ratio of cost"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    copay_yen_per_day = models.PositiveIntegerField(
        _("co-payment per day (yen)"), null=True, blank=True
    )
    requires_sme = models.BooleanField(_("SMEs only"), default=True)
    requires_in_prefecture = models.BooleanField(_("located in the prefecture"), default=True)
    requires_innovation_plan = models.BooleanField(
        _("approved management innovation plan required"), default=False
    )
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-fiscal_year", "code"]
        verbose_name = _("dispatch program")
        verbose_name_plural = _("dispatch programs")
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "code"], name="unique_program_per_fy"),
            models.CheckConstraint(
                condition=models.Q(quota_days__isnull=True) | models.Q(quota_days__gte=0),
                name="program_quota_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(copay_ratio__isnull=True)
                | (models.Q(copay_ratio__gte=0) & models.Q(copay_ratio__lte=1)),
                name="program_copay_ratio_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(copay_ratio__isnull=True)
                | models.Q(copay_yen_per_day__isnull=True),
                name="program_one_copay_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year} {self.name}"


class SubQuota(models.Model):
    """A part of a program's quota reserved for a purpose (e.g. COVID support, free)."""

    program = models.ForeignKey(
        DispatchProgram, on_delete=models.CASCADE, related_name="sub_quotas"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    quota_days = models.DecimalField(_("quota (days)"), **DAYS)
    free = models.BooleanField(_("free of charge"), default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["program", "code"]
        verbose_name = _("sub-quota")
        verbose_name_plural = _("sub-quotas")
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="unique_sub_quota_code"),
            models.CheckConstraint(
                condition=models.Q(quota_days__gte=0), name="sub_quota_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DispatchStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    REQUESTED = "requested", _("requested")
    APPROVED = "approved", _("approved")
    SCHEDULED = "scheduled", _("scheduled")
    COMPLETED = "completed", _("completed")
    CLOSED = "closed", _("settled")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")


_DS = DispatchStatus
# The dispatch state machine (docs/rules.md, "Expert dispatch") -> the states each step may
# start from. The policy reads this to offer the steps, the services to refuse them.
#     draft -> requested -> approved -> scheduled -> completed -> closed
#                      \-> rejected     (any open state) -> cancelled
DISPATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    "submit": frozenset({_DS.DRAFT}),
    "edit": frozenset({_DS.DRAFT, _DS.REQUESTED}),
    "approve": frozenset({_DS.REQUESTED}),
    "reject": frozenset({_DS.REQUESTED}),
    "schedule": frozenset({_DS.APPROVED, _DS.SCHEDULED}),
    "complete": frozenset({_DS.SCHEDULED}),
    "final_report": frozenset({_DS.SCHEDULED, _DS.COMPLETED}),
    "settle": frozenset({_DS.COMPLETED}),
    "cancel": frozenset({_DS.DRAFT, _DS.REQUESTED, _DS.APPROVED, _DS.SCHEDULED}),
    "override_conflict": frozenset({_DS.DRAFT, _DS.REQUESTED}),
    "report_visit": frozenset({_DS.SCHEDULED, _DS.COMPLETED, _DS.CANCELLED}),
}
# What the pages call each step (a refused one is named by its label).
DISPATCH_ACTION_LABELS = {
    "submit": _("submit the request"),
    "edit": _("edit the request"),
    "approve": _("approve"),
    "reject": _("reject"),
    "schedule": _("schedule visits"),
    "complete": _("complete"),
    "final_report": _("file the final report"),
    "settle": _("settle"),
    "cancel": _("cancel"),
    "override_conflict": _("override the conflict of interest"),
    "report_visit": _("report a visit"),
}


class Dispatch(models.Model):
    case = models.ForeignKey(
        "intake.Case", on_delete=models.PROTECT, related_name="dispatches", verbose_name=_("case")
    )
    program = models.ForeignKey(
        DispatchProgram,
        on_delete=models.PROTECT,
        related_name="dispatches",
        verbose_name=_("program"),
    )
    sub_quota = optional_fk(SubQuota, related_name="dispatches", verbose_name=_("sub-quota"))
    expert = models.ForeignKey(
        Expert, on_delete=models.PROTECT, related_name="dispatches", verbose_name=_("expert")
    )
    purpose = models.TextField(_("purpose"))
    competitors = models.JSONField(
        _("client's competitors"),
        default=list,
        blank=True,
        help_text=_("Companies (name or corporate number) the client competes with."),
    )
    requested_days = models.DecimalField(_("requested days"), **DAYS)
    approved_days = models.DecimalField(_("approved days"), null=True, blank=True, **DAYS)
    used_days = models.DecimalField(_("used days"), null=True, blank=True, **DAYS)
    day_rate_yen = models.PositiveIntegerField(_("day rate (yen)"))
    copay_yen = models.PositiveIntegerField(_("co-payment (yen)"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=DispatchStatus.choices, default=DispatchStatus.DRAFT
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    final_report = models.TextField(_("final report"), blank=True)
    final_report_at = models.DateTimeField(null=True, blank=True)
    conflict_override_reason = models.TextField(_("conflict override reason"), blank=True)
    conflict_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    conflict_overridden_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        indexes = [
            models.Index(fields=["program", "status"]),
            models.Index(fields=["expert", "status"]),
            # The dispatch list's order: a page is a walk of this index that stops after it,
            # instead of a sort of every dispatch the reader sees (docs/performance.md).
            models.Index(fields=["created_at", "id"], name="dispatch_created_at_id"),
            # The reminder job: dispatches still owing their final report.
            models.Index(
                fields=["status"],
                condition=models.Q(final_report_at__isnull=True),
                name="dispatch_final_report_missing",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requested_days__gt=0), name="dispatch_requested_days_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(approved_days__isnull=True) | models.Q(approved_days__gt=0),
                name="dispatch_approved_days_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(used_days__isnull=True)
                | (models.Q(used_days__gte=0) & models.Q(approved_days__isnull=False))
                & models.Q(used_days__lte=models.F("approved_days")),
                name="dispatch_used_within_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.expert} → {self.case}"

    @property
    def days(self) -> Decimal:
        """The days that count for the dispatch: those used once it is finished, those
        approved once it is decided, the requested ones before."""
        if self.used_days is not None:
            return self.used_days
        return self.approved_days or self.requested_days


class DispatchVisit(models.Model):
    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="visits")
    # Denormalised from the dispatch, so one expert's bookings per date read from one index.
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="visits")
    date = models.DateField(_("date"))
    day_fraction = models.DecimalField(_("day"), max_digits=2, decimal_places=1)
    hours = models.DecimalField(_("hours"), max_digits=3, decimal_places=1, null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    report = models.TextField(_("what was done"), blank=True)
    advice = models.TextField(_("advice"), blank=True)
    client_confirmed_by = models.CharField(_("confirmed by (client)"), max_length=100, blank=True)
    report_filed_at = models.DateTimeField(_("report filed"), null=True, blank=True)
    report_filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("dispatch visit")
        verbose_name_plural = _("dispatch visits")
        indexes = [
            models.Index(fields=["expert", "date"]),
            # The reminder job: visits whose report is not filed, by date.
            models.Index(
                fields=["date"],
                condition=models.Q(report_filed_at__isnull=True),
                name="visit_report_missing",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dispatch", "date"], name="one_visit_per_dispatch_day"),
            models.CheckConstraint(
                condition=models.Q(day_fraction__in=[HALF_DAY, FULL_DAY]),
                name="visit_half_or_full_day",
            ),
            models.CheckConstraint(
                condition=models.Q(hours__isnull=True)
                | (models.Q(hours__gt=0) & models.Q(hours__lte=12)),
                name="visit_hours_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dispatch_id} {self.date}"
