"""The plan's targets per fiscal year and the activities the plan counts (docs/reports.md).

A target is data keyed by a metric code (`casebook.reports.metrics.METRICS`): a KPI read from
the raw records, or a count of activities of one kind. No actual is ever stored: each is
recomputed from the records whenever it is read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ActivityKind(models.TextChoices):
    """The kinds of event the business plan counts (docs/reports.md, "Activities")."""

    SEMINAR = "seminar", _("seminar or consultation fair")
    PARTNER_TRAINING = "partner_training", _("partner-system training")
    TEST_MARKETING = "test_marketing", _("test-marketing event")
    TRADE_FAIR_SUPPORT = "trade_fair_support", _("trade-fair exhibiting support")
    EC_SITE_SUPPORT = "ec_site_support", _("EC-site support")
    TRADE_PRACTICE_COURSE = "trade_practice_course", _("trade-practice course")
    SPECIALISED_TRADE_FAIR = "specialised_trade_fair", _("specialised trade fair")
    REGIONAL_BUSINESS_MEETING = "regional_business_meeting", _("regional business meeting")
    PROPOSAL_BUSINESS_MEETING = "proposal_business_meeting", _("proposal-style business meeting")
    BUSINESS_INFO_EXCHANGE = "business_info_exchange", _("business information exchange")
    ORDER_TRADE_MEETING = "order_trade_meeting", _("order-trade meeting or training")
    SEEDS_PRESENTATION = "seeds_presentation", _("seeds presentation")
    SEEDS_REVIEW = "seeds_review", _("seeds commercialisation review")
    OPEN_PATENT_REGISTRATION = "open_patent_registration", _("open-patent registration")
    PATENT_BROKERAGE = "patent_brokerage", _("patent brokerage")
    NEWSLETTER = "newsletter", _("newsletter")


class Activity(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=ActivityKind.choices)
    desk = models.ForeignKey(
        "accounts.Desk", on_delete=models.PROTECT, related_name="+", verbose_name=_("desk")
    )
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    online = models.BooleanField(_("online"), default=False)
    organisers = models.CharField(_("organisers"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Optimistic locking of the edit screen (docs/reports.md, "Activities").
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-held_on", "-pk"]
        indexes = [
            models.Index(fields=["held_on", "kind"], name="activity_date_kind"),
            models.Index(fields=["desk", "held_on"], name="activity_desk_date"),
        ]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class ActivityParticipant(models.Model):
    """A client who took part in an activity, and what came of it for them."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participants")
    client = models.ForeignKey(
        "intake.Client", on_delete=models.PROTECT, related_name="+", verbose_name=_("client")
    )
    deals = models.PositiveSmallIntegerField(_("deals"), default=0)
    follow_up_case = models.ForeignKey(
        "intake.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("follow-up case"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "client"], name="unique_activity_participant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}: {self.client_id}"


class PlanTarget(models.Model):
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    metric = models.CharField(_("metric"), max_length=48)
    target = models.DecimalField(_("target"), max_digits=10, decimal_places=1)
    source = models.CharField(_("source in the plan"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("plan target")
        verbose_name_plural = _("plan targets")
        ordering = ["fiscal_year", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "metric"], name="unique_plan_target_per_fy"
            ),
            models.CheckConstraint(
                condition=models.Q(target__gte=0), name="plan_target_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} {self.metric} {self.target}"
