"""Fields only one desk records: the dispute desk and the IP desk (docs/rules.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from casebook.intake.models.cases import Case


class DisputeType(models.TextChoices):
    UNPAID = "unpaid", _("unpaid or reduced payment")
    UNFAIR_PRICE = "unfair_price", _("unfair price setting")
    RETURNS = "returns", _("unjust returns")
    PAYMENT_DELAY = "payment_delay", _("payment delay")
    FORCED_PURCHASE = "forced_purchase", _("forced purchase or use of services")
    UNFAIR_REQUESTS = "unfair_requests", _("unjust requests for money or labour")
    OTHER = "other", _("other")


class AdrState(models.TextChoices):
    NONE = "", _("no ADR")
    FILED = "filed", _("filed")
    IN_PROGRESS = "in_progress", _("in progress")
    SETTLED = "settled", pgettext_lazy("ADR mediation", "settled")
    NOT_SETTLED = "not_settled", _("not settled")
    WITHDRAWN = "withdrawn", _("withdrawn")


# What a person enters of each desk's details (the web forms, the API and the services).
SUBCONTRACT_INPUT_FIELDS = (
    "counterpart_company",
    "dispute_type",
    "law_breach_suspected",
    "forwarded_to_meti_on",
    "free_lawyer_consultation",
    "adr_state",
    "adr_filed_on",
)
IP_INPUT_FIELDS = (
    "invention_disclosed_on",
    "rights_sought",
    "foreign_filing_countries",
    "filing_outcome",
)


class SubcontractDetails(models.Model):
    """Fields only the trade-practice dispute desk (取引かけこみ寺) records."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="subcontract")
    anonymous = models.BooleanField(_("anonymous intake"), default=False)
    counterpart_company = models.CharField(_("counterpart company"), max_length=200, blank=True)
    dispute_type = models.CharField(
        _("dispute type"), max_length=20, choices=DisputeType.choices, blank=True
    )
    law_breach_suspected = models.BooleanField(_("breach of the law suspected"), default=False)
    forwarded_to_meti_on = models.DateField(
        _("forwarded to the regional METI bureau on"), null=True, blank=True
    )
    free_lawyer_consultation = models.BooleanField(_("free lawyer consultation"), default=False)
    adr_state = models.CharField(
        _("ADR mediation"), max_length=16, choices=AdrState.choices, blank=True, default=""
    )
    adr_filed_on = models.DateField(_("ADR filed on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dispute desk details")

    def __str__(self) -> str:
        return f"{self.case_id} {self.dispute_type}"


class IpRight(models.TextChoices):
    PATENT = "patent", _("patent")
    UTILITY_MODEL = "utility_model", _("utility model")
    DESIGN = "design", _("design")
    TRADEMARK = "trademark", _("trademark")
    ANTI_SQUATTING_TRADEMARK = "anti_squatting_trademark", _("anti-squatting trademark")


class IpDetails(models.Model):
    """Fields only the IP desk records; the novelty grace period is derived from them."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="ip")
    invention_disclosed_on = models.DateField(
        _("invention disclosed on"), null=True, blank=True, db_index=True
    )
    rights_sought = models.JSONField(_("rights sought"), default=list, blank=True)
    foreign_filing_countries = models.JSONField(
        _("countries for foreign filing"), default=list, blank=True
    )
    filing_outcome = models.CharField(_("filing outcome"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("IP desk details")

    def __str__(self) -> str:
        return f"{self.case_id} {', '.join(self.rights_sought)}"


# The IP desk alerts 60 and 14 days before the novelty grace period ends (docs/rules.md).
GRACE_PERIOD_ALERT_DAYS = (60, 14)


def grace_period_deadline(disclosed_on: dt.date) -> dt.date:
    """Last day to file and still claim the novelty exception of Patent Act art. 30 (1 year)."""
    try:
        return disclosed_on.replace(year=disclosed_on.year + 1)
    except ValueError:  # disclosed on 29 February
        return disclosed_on.replace(year=disclosed_on.year + 1, month=3, day=1)


@dataclass(frozen=True)
class GracePeriod:
    """Where an invention stands in its novelty grace period: the one place of its urgency."""

    deadline: dt.date
    days_left: int

    @property
    def urgency(self) -> str:
        """`passed`, `urgent` (within 14 days), `soon` (within 60 days) or empty."""
        if self.days_left < 0:
            return "passed"
        if self.days_left <= min(GRACE_PERIOD_ALERT_DAYS):
            return "urgent"
        if self.days_left <= max(GRACE_PERIOD_ALERT_DAYS):
            return "soon"
        return ""

    @property
    def alerting(self) -> bool:
        """Still open and inside the alert window: it belongs on the counselors' home page."""
        return self.urgency in ("urgent", "soon")


def grace_period(disclosed_on: dt.date, *, today: dt.date | None = None) -> GracePeriod:
    deadline = grace_period_deadline(disclosed_on)
    return GracePeriod(
        deadline=deadline, days_left=(deadline - (today or timezone.localdate())).days
    )
