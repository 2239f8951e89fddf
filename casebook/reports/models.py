"""The plan's targets per fiscal year and the activities the plan counts (docs/reports.md).

A target is data keyed by a metric code (`casebook.reports.metrics.known()`): a KPI read from
the raw records, or a count of activities of one kind. No actual is stored by the
application: each is read from the records whenever it is asked for (the consultation counts
from those PostgreSQL keeps as sessions are written, `casebook/reports/tallies.py`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casebook.common.models import optional_fk


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
    follow_up_case = optional_fk(
        "intake.Case",
        on_delete=models.SET_NULL,
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


class SurveyScore(models.IntegerChoices):
    """The 5-point scale of the satisfaction survey, best first as the page shows it."""

    VERY_SATISFIED = 5, _("very satisfied")
    SATISFIED = 4, _("satisfied")
    SOMEWHAT_SATISFIED = 3, _("somewhat satisfied")
    SOMEWHAT_DISSATISFIED = 2, _("somewhat dissatisfied")
    DISSATISFIED = 1, _("dissatisfied")


class SatisfactionSurvey(models.Model):
    """The satisfaction survey of a closed case: at most one per case (docs/reports.md,
    "Satisfaction survey").

    What the report groups by is copied here when the survey is sent — the case's desk, its
    lead counselor at closure and the month of its consultation — so the figures never read
    the case itself. The link's token is kept only as its SHA-256: the database holds nothing
    that answers a survey.
    """

    case = models.OneToOneField(
        "intake.Case", on_delete=models.PROTECT, related_name="+", verbose_name=_("case")
    )
    desk = models.ForeignKey(
        "accounts.Desk", on_delete=models.PROTECT, related_name="+", verbose_name=_("desk")
    )
    counselor = optional_fk(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("lead counselor at closure")
    )
    consultation_month = models.DateField(_("month of the consultation"))
    closed_at = models.DateTimeField(_("case closed"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    sent_at = models.DateTimeField(_("sent"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(
        _("satisfaction"), choices=SurveyScore.choices, null=True, blank=True
    )
    acted_on_advice = models.BooleanField(_("acted on the advice"), null=True, blank=True)
    got_results = models.BooleanField(_("got results"), null=True, blank=True)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    history = HistoricalRecords(excluded_fields=["token_hash"])

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["sent_at"], name="survey_sent_at"),
            models.Index(fields=["desk", "sent_at"], name="survey_desk_sent_at"),
            models.Index(fields=["counselor", "sent_at"], name="survey_counselor_sent_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="survey_score_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True, score__isnull=True)
                | models.Q(answered_at__isnull=False, score__isnull=False),
                name="survey_answer_has_score",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sent_at:%Y-%m-%d} #{self.pk}"
