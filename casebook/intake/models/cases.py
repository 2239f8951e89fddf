"""Cases (相談案件), their numbering, assignments and status changes (docs/rules.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from casebook.common.history import HistoricalRecordsWithSets
from casebook.common.models import optional_fk
from casebook.intake.models.clients import Client, Topic


class CaseStatus(models.TextChoices):
    INTAKE = "intake", _("intake")
    ASSIGNED = "assigned", _("assigned")
    ACTIVE = "active", pgettext_lazy("case status", "active")
    DISPATCH = "dispatch", _("expert dispatched")
    ON_HOLD = "on_hold", _("on hold")
    CLOSED = "closed", _("closed")


_S = CaseStatus

# The case state machine (docs/rules.md, "Case lifecycle"): action -> the states it may start
# from. The target state is decided by the action itself (assign keeps an assigned or active
# case where it is; resume returns to the state the case was held in). The policy reads this
# to offer actions, the lifecycle services to refuse them.
TRANSITIONS: dict[str, frozenset[str]] = {
    "assign": frozenset({_S.INTAKE, _S.ASSIGNED, _S.ACTIVE, _S.DISPATCH, _S.ON_HOLD}),
    "start": frozenset({_S.ASSIGNED}),
    "hold": frozenset({_S.ASSIGNED, _S.ACTIVE}),
    "resume": frozenset({_S.ON_HOLD}),
    "close": frozenset({_S.INTAKE, _S.ASSIGNED, _S.ACTIVE, _S.ON_HOLD}),
    "reopen": frozenset({_S.CLOSED}),
    "dispatch_start": frozenset({_S.ASSIGNED, _S.ACTIVE}),
    "dispatch_end": frozenset({_S.DISPATCH}),
}
# What the pages call each transition (a refused one names it on the 409 page).
TRANSITION_LABELS = {
    "assign": _("assign"),
    "take": _("take the case"),
    "start": _("start"),
    "hold": _("put on hold"),
    "resume": _("resume"),
    "close": _("close"),
    "reopen": _("reopen"),
    "edit": _("edit"),
    "log_session": _("log a session"),
    "dispatch_start": _("start a dispatch"),
    "dispatch_end": _("end a dispatch"),
}
OPEN_STATUSES = (_S.INTAKE, _S.ASSIGNED, _S.ACTIVE, _S.DISPATCH, _S.ON_HOLD)
# Sessions are logged once a lead counselor is assigned and until the case closes.
SESSION_STATUSES = frozenset({_S.ASSIGNED, _S.ACTIVE, _S.DISPATCH, _S.ON_HOLD})
# Expert dispatches are requested for cases under way (not queued, held or closed).
DISPATCH_REQUEST_STATUSES = frozenset({_S.ASSIGNED, _S.ACTIVE, _S.DISPATCH})
# What the lifecycle services write as a case opens and closes, never a free edit (the admin
# shows them read-only, the API reads them).
LIFECYCLE_FIELDS = (
    "opened_at",
    "first_session_at",
    "closed_at",
    "closure_reason",
    "closure_summary",
    "duplicate_of",
)


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


# A case's urgency as my cases orders it (high, normal, then the rest): the list's order and
# the key of `case_open_by_lead_rank`, one expression for both so that PostgreSQL reads the
# list from the index in order (docs/performance.md, "The stress shape").
PRIORITY_RANK = models.Case(
    models.When(priority="high", then=models.Value(0)),
    models.When(priority="normal", then=models.Value(1)),
    default=models.Value(2),
    output_field=models.IntegerField(),
)


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


def case_number(desk_code: str, fiscal_year: int, sequence: int) -> str:
    """A case's number as people read and quote it: `{desk}-{FY}-{seq:05d}`."""
    return f"{desk_code}-{fiscal_year}-{sequence:05d}"


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
    # No index of its own: `(desk, status)` leads with it and serves every reader of the desk
    # alone (docs/performance.md, "What changed, and why each index").
    desk = models.ForeignKey(
        "accounts.Desk",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("desk"),
        db_index=False,
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
    intake_office = optional_fk(
        "satellites.Office", related_name="cases", verbose_name=_("intake office")
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
    # No index of its own: every reader of the lead (the rule's lead branch, the lists' and
    # the reports' filters, the collector and the key check when a user is deleted) is served
    # by `case_lead_id (lead_counselor, id)` below, which leads with it (docs/performance.md,
    # "What changed, and why each index").
    lead_counselor = optional_fk(
        settings.AUTH_USER_MODEL,
        related_name="led_cases",
        verbose_name=_("lead counselor"),
        db_index=False,
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
    # The follow-up date of the case's latest session (the newest by start, then id), kept on
    # the case so that my cases finds a counselor's follow-ups due without reading each open
    # case's sessions (docs/performance.md, "The stress shape"). Every writer of a session's
    # follow-up date, start or case sets it (`services.cases_follow_up_refresh`).
    next_follow_up = models.DateField(_("follow-up date"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # The follow-up date is the latest session's, recorded in the session's history.
    history = HistoricalRecordsWithSets(
        sets=["topics", "co_counselors"], excluded_fields=["next_follow_up"]
    )

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
        indexes = [
            models.Index(fields=["desk", "status"]),
            # The reminder job: held cases by resume-by date.
            models.Index(
                fields=["resume_by"],
                condition=models.Q(status="on_hold"),
                name="case_hold_resume_by",
            ),
            # Every case list, newest first, read page by page with a keyset cursor; the
            # reports' periods of opened and of closed cases, whose figures (the days to the
            # first session, the closures by reason) read the included columns without the
            # table (docs/performance.md, "The FY KPI report", "The case figures read from
            # their indexes"; docs/reports.md).
            models.Index(
                fields=["opened_at", "id"],
                include=["first_session_at", "desk"],
                name="case_opened_at_id",
            ),
            models.Index(
                fields=["closed_at"],
                include=["id", "closure_reason", "desk"],
                name="case_closed_at",
            ),
            # The open cases a counselor leads, by opening date: the case list filtered by its
            # lead counselor and an open status, newest first, read with an early stop (my
            # cases read their own indexes since `case_open_by_lead_rank`, below).
            models.Index(
                fields=["lead_counselor", "opened_at"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="case_open_by_lead",
            ),
            # My cases: the open cases a counselor leads in the list's order (most urgent,
            # then oldest), read in order and stopped at the page's end whatever the backlog.
            models.Index(
                models.F("lead_counselor"),
                PRIORITY_RANK,
                models.F("opened_at"),
                models.F("id"),
                condition=models.Q(status__in=OPEN_STATUSES),
                name="case_open_by_lead_rank",
            ),
            # My cases' holds due: a counselor's held cases by resume-by date, read in order
            # with an early stop whatever the desk's or the organisation's held cases.
            models.Index(
                fields=["lead_counselor", "resume_by", "id"],
                condition=models.Q(status="on_hold"),
                name="case_hold_by_lead",
            ),
            # My cases' follow-ups due: a counselor's open cases with a follow-up date, soonest
            # first, read in order with an early stop whatever the backlog.
            models.Index(
                fields=["lead_counselor", "next_follow_up", "id"],
                condition=models.Q(status__in=OPEN_STATUSES, next_follow_up__isnull=False),
                name="case_open_follow_up",
            ),
            # The ids of the cases a counselor leads, read from the index alone: the lead's
            # branch of the sessions lists' rule (`policy.visible_session_branches`;
            # docs/performance.md, "The small desk's sessions").
            models.Index(fields=["lead_counselor", "id"], name="case_lead_id"),
            # The desk board: a column's first cards, oldest first, read with an early stop
            # whatever the backlog (docs/performance.md, "The desk board").
            models.Index(fields=["desk", "status", "opened_at", "id"], name="case_board_order"),
            # The desk board's counts: every column's open cases counted from the index alone,
            # with the columns the visibility rule reads (docs/performance.md, "The stress
            # shape").
            models.Index(
                fields=["desk", "status", "confidentiality", "lead_counselor"],
                include=["id"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="case_board_counts",
            ),
            # A search's matching clients' cases among the newest ones: each client's recent
            # cases without reading its older ones (docs/performance.md, "Search").
            models.Index(fields=["client", "opened_at"], name="case_client_opened_at"),
            # The restricted cases alone (about one case in a hundred): the reports that leave
            # them out or log their reads (satisfaction comments, the session export) read
            # them from here, not from a scan of every case (docs/performance.md, "Every list
            # on the decade").
            models.Index(
                fields=["id"],
                condition=models.Q(confidentiality=Confidentiality.RESTRICTED),
                name="case_restricted",
            ),
        ]

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
    # The reason a closure gave, kept on its transition: the case's own reason is cleared when
    # it reopens, and the reports count each closure in its month (docs/reports.md, "Cases").
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["action", "at"], name="case_transition_action_at")]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status} → {self.to_status}"


class CaseShare(models.Model):
    """A case's file shared with the members of another desk (docs/rules.md, "Visibility").

    Intake owns the table and the rule that reads it (only a `normal` case is ever shown
    through a share: one that became confidential or restricted stops being shared by
    itself). The app that shares a case, the referrals, writes and removes the rows through
    `intake.services.case_share_grant` / `case_share_revoke`; `source` names what granted it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="shares")
    desk = models.ForeignKey("accounts.Desk", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "case", "desk"], name="unique_case_share")
        ]
        indexes = [models.Index(fields=["desk", "case"])]

    def __str__(self) -> str:
        return f"{self.case_id} → desk {self.desk_id} ({self.source})"
