"""Referrals across desks and to partner organisations (docs/rules.md, "Referrals").

Models hold fields, database invariants and values derived from one row (deadlines passed,
the checklist); who sees and answers a referral is `policy.py` (on top of the case policy),
what a change may do is `services/`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casebook.common.calendar import business_days_between
from casebook.common.models import optional_fk


class PartnerKind(models.TextChoices):
    JETRO = "jetro", _("JETRO")
    CHAMBER = "chamber_of_commerce", _("chamber of commerce and industry")
    COMMERCE_ASSOCIATION = "commerce_association", _("commerce and industry association")
    INPIT = "inpit", _("INPIT")
    SUCCESSION_CENTRE = "succession_centre", _("business succession support centre")
    REVITALISATION_COUNCIL = "revitalisation_council", _("SME revitalisation council")
    FINANCIAL = "financial_institution", _("financial institution")
    CREDIT_GUARANTEE = "credit_guarantee", _("credit guarantee corporation")
    LAWYERS_ADR = "lawyers_adr", _("lawyers / ADR")
    MUNICIPALITY = "municipality", _("municipality")
    GOVERNMENT = "government", _("government agency")
    OTHER = "other", _("other")


# What the partner registry records of each organisation (and the API shows).
PARTNER_FIELDS = (
    "code",
    "name",
    "name_kana",
    "kind",
    "municipality",
    "address",
    "phone",
    "email",
    "contact_person",
    "url",
    "note",
    "active",
)


class Partner(models.Model):
    """An outside organisation that clients are referred to (the partner registry)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=PartnerKind.choices)
    municipality = models.CharField(_("municipality"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    contact_person = models.CharField(_("contact person"), max_length=100, blank=True)
    url = models.URLField(_("web site"), blank=True)
    note = models.TextField(_("note"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "name_kana", "code"]
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")

    def __str__(self) -> str:
        return self.name


class ReferralKind(models.TextChoices):
    INTERNAL = "internal", _("internal (desk to desk)")
    EXTERNAL = "external", _("external (to a partner)")


class ReferralStatus(models.TextChoices):
    # internal
    PENDING = "pending", _("awaiting acceptance")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    WITHDRAWN = "withdrawn", _("withdrawn")
    # external
    SENT = "sent", _("sent")
    ACKNOWLEDGED = "acknowledged", _("acknowledged by the partner")
    OUTCOME_REPORTED = "outcome_reported", _("outcome reported")


INTERNAL_STATUSES = frozenset({"pending", "accepted", "declined", "withdrawn"})
EXTERNAL_STATUSES = frozenset({"sent", "acknowledged", "outcome_reported"})
# A referral is "open" while someone still owes an answer.
OPEN_STATUSES = frozenset({"pending", "sent", "acknowledged"})

_RS = ReferralStatus
# The answers a referral takes (docs/rules.md, "Referrals") -> the states each may start from.
# The policy reads this to offer them, the services to refuse them. A partner may report the
# outcome without acknowledging first.
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    "accept": frozenset({_RS.PENDING}),
    "decline": frozenset({_RS.PENDING}),
    "acknowledge": frozenset({_RS.SENT}),
    "report_outcome": frozenset({_RS.SENT, _RS.ACKNOWLEDGED}),
}
# What the pages call each action on a referral (a refused one is named by its label).
REFERRAL_ACTION_LABELS = {
    "accept": _("accept the referral"),
    "decline": _("decline the referral"),
    "acknowledge": _("record the partner's acknowledgement"),
    "report_outcome": _("record the outcome"),
    "checklist": _("keep the hand-off checklist"),
}


class InformsReferrer(models.TextChoices):
    """Hand-off checklist: who tells the original referrer (a chamber, a bank …) the result."""

    US = "us", _("we (the referring desk)")
    RECEIVER = "receiver", _("the receiving organisation")
    NOBODY = "nobody", _("nobody: there is no original referrer")


# Hand-offs to these partners follow the checklist (docs/rules.md, "Referrals").
CHECKLIST_PARTNER_KINDS = frozenset(
    {PartnerKind.SUCCESSION_CENTRE, PartnerKind.REVITALISATION_COUNCIL}
)
# The hand-off checklist as its forms and the API name it; `original_referrer_informed` stands
# for `original_referrer_informed_at` (set when it becomes true).
CHECKLIST_FIELDS = (
    "consent_obtained",
    "consent_obtained_on",
    "documents_passed",
    "original_referrer",
    "informs_original_referrer",
    "original_referrer_informed",
)


def checklist_required_for(partner: Partner | None) -> bool:
    """The yorozu hub ↔ revitalisation council ↔ succession centre hand-offs need it."""
    return partner is not None and partner.kind in CHECKLIST_PARTNER_KINDS


class Referral(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=ReferralKind.choices)
    from_case = models.ForeignKey(
        "intake.Case",
        on_delete=models.PROTECT,
        related_name="referrals_out",
        verbose_name=_("referring case"),
    )
    to_desk = optional_fk(
        "accounts.Desk", related_name="referrals_in", verbose_name=_("receiving desk")
    )
    to_partner = optional_fk(
        Partner, related_name="referrals", verbose_name=_("partner organisation")
    )
    created_case = optional_fk(
        "intake.Case", related_name="referrals_in", verbose_name=_("receiving case")
    )
    attached_to_existing = models.BooleanField(_("attached to the desk's open case"), default=False)
    # Flags raised when the referral was made; they never block it.
    existing_case = optional_fk(
        "intake.Case",
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("open case the receiving desk already had"),
    )
    loop_of = optional_fk(
        "self",
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("referral this one sends back"),
    )
    status = models.CharField(_("status"), max_length=20, choices=ReferralStatus.choices)
    handoff_note = models.TextField(_("hand-off note"))
    share_full_file = models.BooleanField(_("share the full case file"), default=False)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="referrals_made",
        verbose_name=_("referred by"),
    )
    referred_at = models.DateTimeField(_("referred at"))
    responded_by = optional_fk(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("answered by")
    )
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    withdraw_reason = models.TextField(_("reason for withdrawing"), blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    partner_contact = models.CharField(_("partner's contact person"), max_length=100, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    outcome_reported_at = models.DateTimeField(_("outcome reported at"), null=True, blank=True)
    # Hand-off checklist (yorozu ↔ revitalisation council ↔ succession centre, and any other).
    consent_obtained = models.BooleanField(
        _("client consented to sharing information"), default=False
    )
    consent_obtained_on = models.DateField(_("consent obtained on"), null=True, blank=True)
    documents_passed = models.TextField(_("documents passed"), blank=True)
    original_referrer = models.CharField(
        _("original referrer"),
        max_length=200,
        blank=True,
        help_text=_("e.g. the chamber of commerce or bank that first sent the client"),
    )
    informs_original_referrer = models.CharField(
        _("who informs the original referrer"),
        max_length=10,
        choices=InformsReferrer.choices,
        blank=True,
    )
    original_referrer_informed_at = models.DateTimeField(
        _("original referrer informed at"), null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-referred_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="internal",
                        to_desk__isnull=False,
                        to_partner__isnull=True,
                        status__in=sorted(INTERNAL_STATUSES),
                    )
                    | models.Q(
                        kind="external",
                        to_desk__isnull=True,
                        to_partner__isnull=False,
                        created_case__isnull=True,
                        status__in=sorted(EXTERNAL_STATUSES),
                    )
                ),
                name="referral_target_matches_kind",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="declined") | ~models.Q(decline_reason=""),
                name="declined_referral_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["to_desk", "status"]),
            models.Index(fields=["status", "due_on"]),
            # The lists' orders (the API's, newest first by default, and the admin's): a page
            # is read from the index and stops at its end. Without them the page joined every
            # referral to its case (a scan of the whole case table) to sort them all
            # (docs/performance.md, "Every list on the decade").
            models.Index(fields=["referred_at", "id"], name="referral_referred_at_id"),
            models.Index(fields=["updated_at", "id"], name="referral_updated_at_id"),
            # The overdue list under the desk board, in its order: walked until a page of the
            # desk's is found, whatever the number of open referrals (docs/performance.md,
            # "The stress shape").
            models.Index(
                fields=["due_on", "referred_at", "id"],
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
                name="referral_open_by_due",
            ),
        ]

    def __str__(self) -> str:
        # Desk names and the due date only: a referring case's number or title may be
        # confidential, and this string shows on the receiving desk's board.
        due = f" ({self.due_on:%Y-%m-%d})" if self.due_on and self.is_open else ""
        return f"#{self.pk} {self.from_case.desk} → {self.target_name}{due}"

    def get_absolute_url(self) -> str:
        return reverse("referrals:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """Still awaiting an answer after its due date."""
        today = today or timezone.localdate()
        return self.is_open and self.due_on is not None and self.due_on < today

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    def business_days_overdue(self, today: dt.date | None = None) -> int:
        today = today or timezone.localdate()
        if not self.is_overdue(today):
            return 0
        return max(business_days_between(self.due_on, today), 0)

    @property
    def checklist_required(self) -> bool:
        return checklist_required_for(self.to_partner)

    def checklist_values(self) -> dict[str, Any]:
        """The hand-off checklist by the names of `CHECKLIST_FIELDS`."""
        values = {name: getattr(self, name) for name in CHECKLIST_FIELDS[:-1]}
        values["original_referrer_informed"] = self.original_referrer_informed_at is not None
        return values

    @property
    def target_name(self) -> str:
        return str(self.to_desk or self.to_partner or "")
