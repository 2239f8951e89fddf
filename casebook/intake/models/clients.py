"""Clients (相談者): companies, sole proprietors, would-be founders; contacts, outcomes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casebook.common.models import optional_fk
from casebook.common.sme import SizeClass


class Topic(models.Model):
    """Consultation topics; seeded by a migration, the codes are part of the API contract."""

    code = models.SlugField(_("code"), max_length=40, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name


class ClientKind(models.TextChoices):
    COMPANY = "company", _("company")
    SOLE_PROPRIETOR = "sole_proprietor", _("sole proprietor")
    FOUNDER = "founder", _("would-be founder")


class Industry(models.TextChoices):
    """JSIC major groups; I and M are split because the SME law treats their halves apart."""

    A = "A", _("A agriculture and forestry")
    B = "B", _("B fisheries")
    C = "C", _("C mining and quarrying")
    D = "D", _("D construction")
    E = "E", _("E manufacturing")
    F = "F", _("F electricity, gas, heat and water")
    G = "G", _("G information and communications")
    H = "H", _("H transport and postal activities")
    I_WHOLESALE = "I1", _("I wholesale trade")
    I_RETAIL = "I2", _("I retail trade")
    J = "J", _("J finance and insurance")
    K = "K", _("K real estate and goods rental")
    L = "L", _("L scientific research, professional and technical services")
    M_ACCOMMODATION = "M1", _("M accommodations")
    M_EATING = "M2", _("M eating and drinking services")
    N = "N", _("N living-related and personal services, amusement")
    O = "O", _("O education, learning support")  # noqa: E741
    P = "P", _("P medical, health care and welfare")
    Q = "Q", _("Q compound services")
    R = "R", _("R services, n.e.c.")
    S = "S", _("S government")
    T = "T", _("T industries unable to classify")


# What a person enters about a client (the intake form, the API, the services all take these;
# the size class and the search keys are derived from them).
CLIENT_INPUT_FIELDS = (
    "kind",
    "name",
    "name_kana",
    "corporate_number",
    "representative",
    "industry",
    "capital_yen",
    "employees",
    "postal_code",
    "prefecture",
    "municipality",
    "address",
    "phone",
    "email",
    "has_innovation_plan",
)


class Client(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=ClientKind.choices)
    name = models.CharField(_("name"), max_length=200)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    corporate_number = models.CharField(_("corporate number"), max_length=13, blank=True)
    representative = models.CharField(_("representative"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=2, choices=Industry.choices, blank=True)
    capital_yen = models.BigIntegerField(_("capital (yen)"), null=True, blank=True)
    employees = models.IntegerField(_("employees"), null=True, blank=True)
    size_class = models.CharField(
        _("size class"),
        max_length=8,
        choices=[(c.value, c.value) for c in SizeClass],
        default=SizeClass.UNKNOWN,
        editable=False,
    )
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    prefecture = models.CharField(_("prefecture"), max_length=10, blank=True)
    municipality = models.CharField(_("municipality"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    has_innovation_plan = models.BooleanField(
        _("approved management innovation plan"), default=False
    )
    # Search keys: NFKC, katakana-folded, lower-case, no spaces (see common.japanese).
    name_search = models.CharField(max_length=200, editable=False, db_index=True)
    name_kana_search = models.CharField(max_length=200, editable=False, db_index=True)
    phone_digits = models.CharField(max_length=20, editable=False, db_index=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Set by the retention run (docs/security.md, "Retention"): the personal data is gone.
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name_kana_search", "id"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        constraints = [
            models.UniqueConstraint(
                fields=["corporate_number"],
                condition=~models.Q(corporate_number=""),
                name="unique_corporate_number_when_present",
            ),
            models.CheckConstraint(
                condition=models.Q(capital_yen__isnull=True) | models.Q(capital_yen__gte=0),
                name="client_capital_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(employees__isnull=True) | models.Q(employees__gte=0),
                name="client_employees_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# What a person enters about a contact (the client page's form and the API).
CONTACT_INPUT_FIELDS = ("name", "name_kana", "title", "phone", "email", "is_primary")


class ClientContact(models.Model):
    """A person at a client; at most one of a client's contacts is its primary contact."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_primary", "name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            # Two edits that each make a different contact primary cannot both land.
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(is_primary=True),
                name="one_primary_contact_per_client",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OutcomeOccasion(models.TextChoices):
    INTAKE = "intake", _("at intake")
    CLOSURE = "closure", _("at closure")
    FOLLOW_UP = "follow_up", _("at a follow-up")


class BusinessStatus(models.TextChoices):
    CONTINUED = "continued", _("business continued")
    SUCCEEDED = "succeeded", _("business succeeded")
    CLOSED = "closed", _("business closed")


# The figures and facts a client may report (the case panel's form, the API and the service).
OUTCOME_FIGURES = (
    "sales_yen",
    "employees",
    "operating_profit_yen",
    "personnel_costs_yen",
    "depreciation_yen",
    "new_customers",
)
OUTCOME_FACTS = ("patent_filed", "trademark_filed", "export_started")
# 付加価値額 = operating profit + personnel costs + depreciation (docs/reports.md, "Outcomes").
VALUE_ADDED_PARTS = ("operating_profit_yen", "personnel_costs_yen", "depreciation_yen")


class ClientOutcome(models.Model):
    """What a client reports at intake, closure or a follow-up, so impact is measured.

    `value_added_yen` is derived (the sum of `VALUE_ADDED_PARTS`) by the service that records
    the report, never typed; rows from before the parts were recorded keep the value given.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="outcomes")
    case = models.ForeignKey(
        "Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="outcomes"
    )
    occasion = models.CharField(
        _("when reported"),
        max_length=16,
        choices=OutcomeOccasion.choices,
        default=OutcomeOccasion.FOLLOW_UP,
    )
    reported_on = models.DateField(_("reported on"))
    sales_yen = models.BigIntegerField(_("sales (yen)"), null=True, blank=True)
    employees = models.IntegerField(_("employees"), null=True, blank=True)
    operating_profit_yen = models.BigIntegerField(
        _("operating profit (yen)"), null=True, blank=True
    )
    personnel_costs_yen = models.BigIntegerField(_("personnel costs (yen)"), null=True, blank=True)
    depreciation_yen = models.BigIntegerField(_("depreciation (yen)"), null=True, blank=True)
    value_added_yen = models.BigIntegerField(_("value added (yen)"), null=True, blank=True)
    new_customers = models.IntegerField(_("new customers"), null=True, blank=True)
    patent_filed = models.BooleanField(_("patent filed"), default=False)
    trademark_filed = models.BooleanField(_("trademark filed"), default=False)
    export_started = models.BooleanField(_("export started"), default=False)
    business_status = models.CharField(
        _("business"), max_length=16, choices=BusinessStatus.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = optional_fk(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("recorded by")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["reported_on"]
        verbose_name = _("client outcome")
        verbose_name_plural = _("client outcomes")
        indexes = [
            models.Index(fields=["reported_on", "client"], name="client_outcome_reported_on"),
            models.Index(fields=["client", "reported_on"], name="client_outcome_client_date"),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.reported_on}"
