"""Clients, cases, consultation sessions and their history (DESIGN §3–4).

Models hold fields and database invariants only; every rule that decides whether a change
is allowed lives in `services.py`, and who may see what in `policy.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

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


class ClientContact(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class ClientOutcome(models.Model):
    """Figures a client reports at intake and follow-ups, so impact is measured (DESIGN §3)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="outcomes")
    case = models.ForeignKey(
        "Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="outcomes"
    )
    reported_on = models.DateField(_("reported on"))
    sales_yen = models.BigIntegerField(_("sales (yen)"), null=True, blank=True)
    employees = models.IntegerField(_("employees"), null=True, blank=True)
    value_added_yen = models.BigIntegerField(_("value added (yen)"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["reported_on"]

    def __str__(self) -> str:
        return f"{self.client} {self.reported_on}"


class CaseStatus(models.TextChoices):
    INTAKE = "intake", _("intake")
    ASSIGNED = "assigned", _("assigned")
    ACTIVE = "active", _("active")
    DISPATCH = "dispatch", _("expert dispatched")
    ON_HOLD = "on_hold", _("on hold")
    CLOSED = "closed", _("closed")


class IntakeChannel(models.TextChoices):
    WALK_IN = "walk_in", _("walk-in")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    WEB_FORM = "web_form", _("web form")
    SATELLITE = "satellite", _("satellite")
    OUTREACH = "outreach", _("outreach")
    REFERRAL = "referral", _("referral")


class Priority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")


class Confidentiality(models.TextChoices):
    NORMAL = "normal", _("normal")
    CONFIDENTIAL = "confidential", _("confidential")
    RESTRICTED = "restricted", _("restricted (exit team only)")


class ClosureReason(models.TextChoices):
    RESOLVED = "resolved", _("resolved")
    REFERRED_OUT = "referred_out", _("referred out")
    WITHDRAWN = "withdrawn", _("withdrawn by the client")
    UNREACHABLE = "unreachable", _("unreachable")
    DUPLICATE = "duplicate", _("duplicate")
    OUT_OF_SCOPE = "out_of_scope", _("out of scope")


class CaseSequence(models.Model):
    """The last case number handed out per desk and fiscal year (gap-free numbering)."""

    desk = models.ForeignKey("accounts.Desk", on_delete=models.PROTECT)
    fiscal_year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["desk", "fiscal_year"], name="unique_case_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.desk_id}-{self.fiscal_year}: {self.last_value}"


class Case(models.Model):
    number = models.CharField(_("case number"), max_length=40, unique=True, editable=False)
    desk = models.ForeignKey(
        "accounts.Desk", on_delete=models.PROTECT, related_name="cases", verbose_name=_("desk")
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"), editable=False)
    sequence = models.PositiveIntegerField(editable=False)
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        related_name="cases",
        null=True,
        blank=True,
        verbose_name=_("client"),
        help_text=_("Empty only for an anonymous intake at the subcontracting desk."),
    )
    title = models.CharField(_("title"), max_length=200)
    topics = models.ManyToManyField(Topic, related_name="cases", blank=True)
    intake_channel = models.CharField(
        _("intake channel"), max_length=16, choices=IntakeChannel.choices
    )
    intake_office = models.ForeignKey(
        "satellites.Office",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("intake office"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.INTAKE
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    confidentiality = models.CharField(
        _("confidentiality"),
        max_length=16,
        choices=Confidentiality.choices,
        default=Confidentiality.NORMAL,
    )
    on_exit_track = models.BooleanField(_("on the exit track"), default=False)
    lead_counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_cases",
        verbose_name=_("lead counselor"),
    )
    co_counselors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="co_counseled_cases", blank=True
    )
    opened_at = models.DateTimeField(_("opened"))
    first_session_at = models.DateTimeField(_("first session"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closure_reason = models.CharField(
        _("closure reason"), max_length=16, choices=ClosureReason.choices, blank=True
    )
    closure_summary = models.TextField(_("closure summary"), blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    hold_reason = models.CharField(_("hold reason"), max_length=200, blank=True)
    resume_by = models.DateField(_("resume by"), null=True, blank=True)
    status_before_hold = models.CharField(max_length=16, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[topics, co_counselors])

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["desk", "fiscal_year", "sequence"], name="unique_case_sequence_number"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed")
                | (~models.Q(closure_reason="") & ~models.Q(closure_summary="")),
                name="closed_case_has_reason_and_summary",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["intake", "closed"])
                | models.Q(lead_counselor__isnull=False),
                name="assigned_case_has_lead_counselor",
            ),
        ]
        indexes = [models.Index(fields=["desk", "status"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED


class Assignment(models.Model):
    """Who led a case, from when to when, assigned by whom and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["assigned_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.counselor}"


class CaseTransition(models.Model):
    """One status change: what, who, when and why (the case page timeline reads these)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=16, choices=CaseStatus.choices)
    to_status = models.CharField(max_length=16, choices=CaseStatus.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status} → {self.to_status}"


class SessionMode(models.TextChoices):
    IN_PERSON_HQ = "in_person_hq", _("in person (head office)")
    IN_PERSON_SATELLITE = "in_person_satellite", _("in person (satellite)")
    ONSITE_VISIT = "onsite_visit", _("on-site visit")
    ONLINE = "online", _("online")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")


class ConsultationSession(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sessions")
    started_at = models.DateTimeField(_("started at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    mode = models.CharField(_("mode"), max_length=24, choices=SessionMode.choices)
    office = models.ForeignKey(
        "satellites.Office",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("office"),
    )
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

    history = HistoricalRecords(m2m_fields=[counselors, topics])

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

    def __str__(self) -> str:
        return f"{self.case.number} {self.started_at:%Y-%m-%d}"


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


class AccessLog(models.Model):
    """Every read of a restricted case (DESIGN §9)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_logs")
    at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=40)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} read {self.case_id} at {self.at:%Y-%m-%d %H:%M}"


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
    SETTLED = "settled", _("settled")
    NOT_SETTLED = "not_settled", _("not settled")
    WITHDRAWN = "withdrawn", _("withdrawn")


class SubcontractDetails(models.Model):
    """Fields only the trade-practice dispute desk (取引かけこみ寺) records (DESIGN §3)."""

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
    """Fields only the IP desk records; the novelty grace period is derived (DESIGN §3)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="ip")
    invention_disclosed_on = models.DateField(_("invention disclosed on"), null=True, blank=True)
    rights_sought = models.JSONField(_("rights sought"), default=list, blank=True)
    foreign_filing_countries = models.JSONField(
        _("countries for foreign filing"), default=list, blank=True
    )
    filing_outcome = models.CharField(_("filing outcome"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("IP desk details")

    def __str__(self) -> str:
        return f"{self.case_id} {', '.join(self.rights_sought)}"
